"""The IOC (指挥大屏) data API: scoped counters, trends, breakdowns, rankings, warnings, hotspots, the map
and a live Server-Sent Events stream, all computed in SQL under the viewer's data scope."""
