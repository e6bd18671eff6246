"""Every optimizer by name, in the order the page lists them, and the records their kernels read.

HYPER and STATE hold the fields of every rule: one record type for all rules lets one compiled
loop step any mix of them. A rule's fields lie at distinct offsets, and fields that no rule reads
together share one (a run steps with one rule): a record is as small as the largest rule's
fields, so a 40,000-start map reads no more bytes per step than it needs (the union of every
rule's fields side by side made a fate map 30% slower)."""
from __future__ import annotations

import numpy as np

from .extra_rules import EXTRA_OPTIMIZERS
from .lecture_rules import LECTURE_OPTIMIZERS
from .torch_rules import TORCH_OPTIMIZERS

OPTIMIZERS = {cls.name: cls for cls in TORCH_OPTIMIZERS + LECTURE_OPTIMIZERS + EXTRA_OPTIMIZERS}


def _record(rules: list[tuple[str, ...]]) -> np.dtype:
    """float64 fields, each rule's at distinct offsets, with as few slots as this greedy finds."""
    slot: dict[str, int] = {}
    for fields in rules:
        for name in fields:
            if name not in slot:
                beside = {slot[other] for together in rules if name in together for other in together if other in slot}
                slot[name] = min(set(range(len(slot) + 1)) - beside)
    return np.dtype({"names": list(slot), "formats": [np.float64] * len(slot),
                     "offsets": [8 * k for k in slot.values()], "itemsize": 8 * (max(slot.values()) + 1)}, align=True)


HYPER = _record([("lr", *cls.hyper()) for cls in OPTIMIZERS.values()])
STATE = _record([tuple(cls.state) for cls in OPTIMIZERS.values()])
# In plain Python a record's method wins over a field of the same name (np.record.sum, .size, …).
assert not set(HYPER.names + STATE.names) & set(dir(np.record)), "a field is named like a method of np.record"
