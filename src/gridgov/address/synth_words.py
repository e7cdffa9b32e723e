"""Word pools of the training-address generator (:mod:`gridgov.address.synth`): name suffixes per label, the
pieces of buildings, units, floors and rooms, shops and companies (person), assist and redundant words, and
characters people confuse when typing by pinyin. Written from the NCAP annotation guide's own examples and
common Chinese address practice; no third-party address data."""

from __future__ import annotations

from gridgov.address.features import words

ROAD_SUFFIXES = words("路 路 路 路 街 街 大道 大街 巷 道 东路 西路 南路 北路 中路 一路 二路 三路 公路 胡同 里")
SUBROAD_SUFFIXES = words("支路 辅路 巷 弄 横路 一巷 二巷 东巷 路 街")
POI_SUFFIXES = words(
    "小区 小区 小区 花园 花园 大厦 大厦 广场 公寓 家园 新村 苑 名苑 雅苑 华庭 山庄 公馆 府 城 国际 中心 "
    "商务中心 大楼 写字楼 工业园 工业区 产业园 科技园 创业园 市场 批发市场 商城 购物中心 超市 医院 人民医院 "
    "中学 小学 实验学校 幼儿园 大学 学院 酒店 宾馆 饭店 网吧 汽修厂 加油站 派出所 卫生院 服务中心 物流园 "
    "仓库 厂 电子厂 服装厂 村委会 居委会 菜市场 体育馆 图书馆 公园 车站 汽车站 地铁站 有限公司 汽车有限公司 "
    "门诊部 口腔门诊部 管理处 招待所 镇政府 人民政府 营业厅 博览城 机场 汽车城 五金城 建材市场 服装城 大酒店"
)
# Brand-like compound names without a suffix (保利湾天地, 金都城市芯宇): two stems, or a stem and one of these.
POI_BARE_TAILS = words("天地 时代 印象 壹号 首府 公馆 尚城 星城 水岸 一品 之家 国际 名都 新城 华府 天城 蓝湾 尊邸")
POI_TAILS = words("一期 二期 三期 东区 西区 南区 北区 A区 B区 C区")
SHOP_SUFFIXES = words("便利店 超市 网吧 水果店 药店 五金店 餐厅 饭店 理发店 快递点 营业厅 专卖店 奶茶店 面馆")
SUBPOI = words(
    "东门 西门 南门 北门 正门 东区 西区 南区 北区 A区 B区 C区 D区 管理处 物业 收发室 门卫室 保安室 "
    "菜鸟驿站 快递柜 停车场 地下停车场 食堂 宿舍 综合楼 办公楼 教学楼 门诊楼 住院部 一期 二期"
)
SUBPOI_SUFFIXES = words("苑 园 阁 轩 居 庭 座 区 期 楼 广场")
PERSON_SUFFIXES = words(
    "有限公司 科技有限公司 贸易有限公司 商贸有限公司 电子有限公司 公司 分公司 工作室 办事处 总部 门市部 "
    "经营部 诊所 培训中心 事务所 营业部 服务部 设计室 店 超市 便利店"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红玉兰飞鹏辉波宇浩凯"
TITLES = words("先生 女士 小姐 师傅 老师 经理")
BUILDING_UNITS = words("栋 栋 栋 幢 幢 号楼 号楼 座 号 栋楼")
FLOOR_UNITS = words("楼 楼 层 层 F")
ROOM_UNITS = words("室 室 房 号 号房 户")
ASSIST = words(
    "附近 附近 旁边 旁边 对面 门口 门口 楼下 隔壁 边上 周边 后面 前面 东侧 西侧 南侧 北侧 路口 交叉口 斜对面 "
    "对过 里面 往东 往北 内 里 东 西 南 北 以东 以西 以南 以北 东面 西面 南面 北面 边 处"
)
INTERSECTION_JOINS = words("与 和 交 跟")
INTERSECTION_ENDS = words("交叉口 交叉口 路口 十字路口 交界处 口 交汇处")
REDUNDANT_SEPARATORS = words("- - - _ , / | ~ ; 、 。 ：")
REDUNDANT_WORDS = words("转 收 送 寄 详细地址 地址 收货地址 中国大陆 电话 联系 电联 电话联系 送货上门 放门口 先打电话")
LEAD_REDUNDANT = words("地址： 收货地址： 寄到 送到 发往 家住 位于 在")
TRAILING_REDUNDANT = words("电联 电联 电联 电联 null 收 转 自取 同意自取 提前致电 商铺 店面 ?")
DIVISION_SEPARATORS = words("- - - _ _ / ,")
INDUSTRIES = words(
    "电子 科技 电子科技 机电 汽车部件 自动化设备 服饰 服装 贸易 进出口 五金 塑料制品 工艺品 包装 印刷 建材 "
    "家具 化工 纺织 食品 电器 照明 信息科技 网络科技 实业 工贸 电商 物流 针织 鞋业 文具 玩具 礼品 饰品"
)
COMPANY_TAILS = words("有限公司 有限公司 有限公司 股份有限公司 公司 厂 商行 经营部")
PLACE_POI_TAILS = words(
    "大学 中学 人民医院 中心医院 第一人民医院 火车站 汽车站 国际商贸城 商贸城 国际机场 电商园 体育中心 "
    "大厦 广场 万达广场 银泰城 客运中心 职业技术学院 供电局 国土局 电信局 汽配城 市场 小商品市场"
)
COUNTRY = words("中国 中国 中华人民共和国")
DIRECTIONS = words("东 西 南 北")
NAME_CHARS = (
    "金华新安康宁海东南西北中山城江河湖田林泉龙凤阳光明德福万兴盛泰和平嘉祥瑞丰源鑫利达美景佳怡园乐"
    "春秋翠碧云天星月晨曦紫荆桂花玉锦绣文博学府御景湾滨水岸都市丽雅豪庭君悦银河汇宝鸿运恒通昌隆富"
)
# Characters people confuse when typing by pinyin (same or similar sound).
HOMOPHONES: dict[str, str] = {
    "园": "圆元源",
    "苑": "院远",
    "华": "化花",
    "福": "富府",
    "新": "心欣",
    "景": "井京",
    "湾": "弯",
    "兴": "星",
    "安": "按岸",
    "泰": "太",
    "锦": "金",
    "嘉": "佳家",
    "祥": "翔",
    "丰": "风峰",
    "林": "临",
    "湖": "胡",
    "河": "和",
    "平": "坪",
    "岗": "港",
    "宝": "保",
    "鸿": "宏红",
    "庭": "亭廷",
    "阁": "格",
    "城": "成",
    "厦": "夏",
    "村": "寸",
    "场": "厂",
    "路": "露",
    "街": "接",
    "镇": "震",
    "区": "曲",
    "县": "线",
    "号": "好",
    "栋": "东",
    "楼": "搂",
}
