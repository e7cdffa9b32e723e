"""Hazards and IoT early warning: hazard sources by class, devices and their telemetry (HTTP batch and MQTT),
alarm rules as data (rules.py, pure), alarms that open exactly one case each through the intake port."""
