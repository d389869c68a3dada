"""A label printer for print-queue tests: it answers the outcomes it was given, in turn, and
remembers the job id of every label it was sent. Once the script is down to its last
outcome, that one is given again, so `ScriptedPrinter([JobState.OFFLINE])` is a printer
that stays offline."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from station.labels.printers import JobState, PrintOutcome
from station.settings.printer_uri import LabelSize, label_size
from station.store.models import PrintJob


@dataclass
class ScriptedPrinter:
    outcomes: list[JobState]
    #: What the printer says with each outcome: "<says> <state>".
    says: str = "scripted"
    name: str = "scripted"
    size: LabelSize = field(default_factory=lambda: label_size("4x6@203"))
    width_dots: int = 812
    dpi: int = 203
    jobs: list[str | None] = field(default_factory=list)

    def print_label(self, image: Image.Image, *, job_id: str | None = None) -> PrintOutcome:
        self.jobs.append(job_id)
        state = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        return PrintOutcome(state, f"{self.says} {state.value}",
                            0 if state is JobState.OFFLINE else 100, 12.5)

    def status(self) -> PrintOutcome:
        return PrintOutcome(JobState.READY, "ready")


def blank(job: PrintJob) -> Image.Image:
    """A blank 4-inch label, whatever the job."""
    return Image.new("1", (812, 100), 1)
