"""The IOC (指挥大屏) data API: scoped counters, trends, breakdowns, rankings, warnings, hotspots, the map
and a live Server-Sent Events stream, all computed in SQL under the viewer's data scope.

Every query is one or a few SQL aggregates (COUNT / SUM / GROUP BY) under the caller's data scope
(`event_scope`) AND the chosen division's subtree, with period-bounded predicates on an indexed timestamp
(reported_at, filed_at, dispatched_at, handled_at, closed_at; transitions by action and time), so the cost
follows the number of cases in the period, not the size of the table. Roll-ups to child divisions are done
in Python on GROUP BY division_path (at most one row per grid).

Modules: view (viewer, division, period, roll-up), measures (the SQL pieces), summary (counters and trend),
breakdowns, rankings, maps (map, hotspots, warnings), reference (labels and geometry), cache, api.

Indexes the queries are written for (bench/dashboard.py measures them at 1,000,000 cases): event
(reported_at, division_path, status), (filed_at, division_path), (dispatched_at, division_path),
(handled_at, division_path), (closed_at, division_path, status), (status, division_path, sla_state) and
event_transition (action, at, event_id). SQLite's planner has no STAT4 histograms, so after ANALYZE it takes
`status IN (...)` for unselective and `division_path` ranges for selective; `measures.path_key` and
`measures.closed_now` keep it on the indexes above whether or not statistics exist.
"""
