"""The IOC (指挥大屏) data API: scoped counters, trends, breakdowns, rankings, warnings, hotspots, the map
and a live Server-Sent Events stream, all computed in SQL under the viewer's data scope.

Every query is one or a few SQL aggregates (COUNT / SUM / GROUP BY) under the caller's data scope
(`event_scope`) AND the chosen division's subtree, with period-bounded predicates on an indexed timestamp
(reported_at, filed_at, dispatched_at, handled_at, closed_at; transitions by action and time), so the cost
follows the number of cases in the period, not the size of the table. Roll-ups to child divisions are done
in Python on GROUP BY division_path (at most one row per grid).

Modules: view (viewer, division, period, roll-up), measures (the SQL pieces and the index each query reads),
summary (counters and trend), breakdowns, rankings, maps (map, hotspots, warnings), reference (labels and
geometry), cache, api.

Each query reads one named index (see measures: on SQLite the plan no longer depends on the planner's
statistics), and the indexes hold the columns their queries read (migrations 0005, 0007, 0009): event
(reported_at, division_path, status, grid_id, category_id, channel); (filed_at | dispatched_at | handled_at,
division_path, grid_id); (closed_at, division_path, status, grid_id, first_deadline_at, handled_at); (status,
division_path, sla_state, grid_id) for the open cases; (id, division_path, grid_id, rating) of the rated cases;
event_transition (action, at, event_id); event_task (event_id, role, id, status, department_id) for the lead
department. bench/dashboard.py measures every endpoint at 1,000,000 cases.
"""
