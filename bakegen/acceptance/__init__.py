"""``bakegen test``: acceptance checks run inside built images (the table is in ``checks``)."""

from .checks import CHECKS, Check
from .model import Expected, Outcome, Status, Subject
from .runner import Named, Options, Report, run

__all__ = ["CHECKS", "Check", "Expected", "Named", "Options", "Outcome", "Report", "Status", "Subject", "run"]
