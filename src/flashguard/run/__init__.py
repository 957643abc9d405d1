"""The main job: the trading system through a scenario, end to end, with a journal that loses
nothing, the summary, the reports, the invariants, resume and ablation. See docs/run.md."""

from flashguard.run.inputs import RunInputs, make_inputs
from flashguard.run.invariants import Violation, check_journal
from flashguard.run.job import resume_job, run_job

__all__ = ["RunInputs", "Violation", "check_journal", "make_inputs", "resume_job", "run_job"]
