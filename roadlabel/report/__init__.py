"""The HTML batch report: throughput, burn-down, cost per frame, annotators, QA trade-off."""

from __future__ import annotations

from roadlabel.report.data import ReportData, load
from roadlabel.report.html import render

__all__ = ["ReportData", "load", "render"]
