"""The HTML report of a run or comparison directory: ``write_report(directory)``, also
``trainwise report DIR``."""

from trainwise.report.report import REPORT_FILE, write_report, write_report_or_warn

__all__ = ["REPORT_FILE", "write_report", "write_report_or_warn"]
