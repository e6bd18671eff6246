"""Every optimizer by name, in the order the page lists them."""
from __future__ import annotations

from .extra_rules import EXTRA_OPTIMIZERS
from .lecture_rules import LECTURE_OPTIMIZERS
from .torch_rules import TORCH_OPTIMIZERS

OPTIMIZERS = {cls.name: cls for cls in TORCH_OPTIMIZERS + LECTURE_OPTIMIZERS + EXTRA_OPTIMIZERS}
