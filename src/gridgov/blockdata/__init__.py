"""Block data (块数据, 五码关联): people, legal entities, houses and phones on the standard addresses."""
