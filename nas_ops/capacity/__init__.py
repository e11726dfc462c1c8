"""The capacity study (DOMAIN.md section B, docs/capacity.md): classical 1-D architectures
trained on synthetic signals (:mod:`.study`, config in :mod:`.config`), and the best models of a
search run (:mod:`.of_run`), analysed with the measure in :mod:`nas_ops.metrics.capacity` and
rendered by :mod:`nas_ops.report.capacity`. ``nas-ops capacity`` runs it."""
