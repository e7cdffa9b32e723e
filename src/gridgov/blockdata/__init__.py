"""Block data (块数据, 五码关联): people, legal entities, houses/rooms and phones on the standard addresses —
imported from department files, protected (PII encrypted, masked, audited) and read per address (一楼一档)."""
