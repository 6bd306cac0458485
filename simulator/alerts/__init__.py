"""Threshold alerts: rules as data, their evaluation on payment attempts and KPI windows,
and the alert records served at /_sim/alerts."""
