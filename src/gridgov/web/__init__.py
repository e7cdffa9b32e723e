"""Browser pages (Jinja2 templates, static CSS/JS and vendored Leaflet/ECharts) served by the API app."""
