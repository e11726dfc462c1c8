"""Infrastructure shared by the commands and the engine: atomic files and checksums (``files``),
output directories that are never a run (``outdir``), the parent-death lifeline of worker
processes (``lifeline``) and device checks (``devices``)."""
