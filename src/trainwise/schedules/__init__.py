"""Learning-rate schedules: pure functions of the optimizer step, driven by one LambdaLR."""

from trainwise.schedules.build import build_scheduler, lr_table, schedule_fn
from trainwise.schedules.config import ScheduleConfig

__all__ = ["ScheduleConfig", "build_scheduler", "lr_table", "schedule_fn"]
