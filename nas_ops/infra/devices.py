"""Whether a torch device exists on this machine: checked when work starts, never when a config
is read (a config written for a GPU machine stays loadable on a laptop)."""

from __future__ import annotations

import torch

from nas_ops.config import check_device_name
from nas_ops.errors import ConfigError


def devices_here() -> list[str]:
    """The device names that work on this machine."""
    names = ["auto", "cpu"]
    if torch.cuda.is_available():
        names += ["cuda", *(f"cuda:{i}" for i in range(torch.cuda.device_count()))]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names


def check_device(device: object, where: str = "--device") -> None:
    """One-line :class:`ConfigError` for a device that is malformed or absent here."""
    check_device_name(device, where)
    if str(device) not in devices_here():
        raise ConfigError(f"{where} = {device!r} is not available on this machine; "
                          f"valid here: {', '.join(devices_here())}")
