"""Model internal diagnosis: how much each network matters to each output.

For a trained phenotype and each (network, output) pair:

- ``relevance``: the original study's metric. The network's weights are replaced by Gaussian noise
  and every output is evaluated again on the validation split. relevance = error(noised) /
  error(intact), where error is 1 - accuracy for classification and the primary error metric
  otherwise. About 1 means the output does not need the network; larger means it does. One draw
  varies a lot, so the row is the mean over ``draws`` independent draws (each seeded by (seed,
  "diagnosis", "noise", network, draw); draw 0 keeps the single-draw key), with
  ``relevance_sd`` (population standard deviation over the draws) and ``relevance_median``
  beside it. ``noise`` = "scale" draws each tensor from N(0, that tensor's own standard
  deviation); "paper" draws N(0, 0.1) as the original study did. A network outside an output's
  subgraph has relevance exactly 1 with sd 0.
- ``ablation``: the same ratio with the network's weights set to zero.
- ``saliency``: first-order Taylor importance, the mean over validation batches of
  sum |w * dL_o/dw| over the network's parameters, normalized over networks to sum to 1 for
  each output (0 outside the output's subgraph).
- ``param_share``: the network's parameters over the parameters of the output's subgraph.
- ``affected``: 1 when the output is reachable from the network, else 0.
- ``capacity_per_param``: the capacity (rank of d vec(W)/d theta, see
  nas_ops.metrics.capacity) of the network's own local linear map at two validation inputs,
  over its parameter count: the share of its parameters that are independent degrees of
  freedom. Reported for every output the network reaches; left out for networks with more
  than ``CAPACITY_MAX_PAIRS`` (output, input) pairs, whose analysis takes minutes on a CPU.
"""

from __future__ import annotations

import copy
import statistics
from collections.abc import Sequence

import torch

from nas_ops.config import RELEVANCE_NOISE
from nas_ops.genome.nodes import PRIMARY_METRICS
from nas_ops.genome.shapes import network_cost
from nas_ops.metrics.capacity.phenotypes import network_capacity
from nas_ops.phenotype.model import Phenotype
from nas_ops.rng import torch_seed
from nas_ops.tasks.base import OutputSpec, Split, Task
from nas_ops.tasks.losses import output_loss
from nas_ops.training import evaluate

Row = tuple[str, str, str, float]  # (network, output, metric, value)
CAPACITY_MAX_PAIRS = 2048  # (output, input) pairs: rows of the Jacobian
PAPER_NOISE_STD = 0.1  # the original study's relevance noise: N(0, 0.1)


def _error(spec: OutputSpec, metrics: dict[str, float]) -> float:
    """The output's error under its kind's default metric (a generation output's recon_mse,
    also when a sample-quality metric ranks it: relevance draws no samples)."""
    metric, higher = PRIMARY_METRICS[spec.kind]
    value = metrics[metric]
    return 1.0 - value if higher else value


def _errors(model: Phenotype, task: Task, split: Split) -> dict[str, float]:
    metrics = evaluate(model, task, split)
    return {spec.name: _error(spec, metrics[spec.name]) for spec in task.outputs}


def _noise_key(seed: int, net_id: str, draw: int) -> int:
    """The generator seed of relevance draw ``draw``; draw 0 keeps the single-draw key."""
    if draw == 0:
        return torch_seed(seed, "diagnosis", "noise", net_id)
    return torch_seed(seed, "diagnosis", "noise", net_id, draw)


def _noise_stds(params: Sequence[torch.Tensor], noise: str) -> list[float]:
    """The noise standard deviation of each tensor (from the intact weights)."""
    if noise == "paper":
        return [PAPER_NOISE_STD] * len(params)
    stds = [float(p.detach().std()) if p.numel() > 1 else 1.0 for p in params]
    return [std if std > 0 else 1.0 for std in stds]


def _noise_in_place(params: Sequence[torch.Tensor], stds: list[float], key: int) -> None:
    gen = torch.Generator().manual_seed(key)
    with torch.no_grad():
        for p, std in zip(params, stds, strict=True):
            p.copy_((torch.randn(p.shape, generator=gen) * std).to(p.device, p.dtype))


def _perturbed_errors(model: Phenotype, net_id: str, task: Task, split: Split, *, seed: int,
                      draws: int, noise: str) -> tuple[dict[str, float], list[dict[str, float]]]:
    """The errors with ``net_id`` zeroed, and with it noised for each of ``draws`` draws: one
    copy of the model, perturbed in place each time."""
    other = copy.deepcopy(model)
    params = list(other.networks[net_id].parameters())
    stds = _noise_stds(params, noise)
    with torch.no_grad():
        for p in params:
            p.zero_()
    zeroed = _errors(other, task, split)
    noised = []
    for draw in range(draws):
        _noise_in_place(params, stds, _noise_key(seed, net_id, draw))
        noised.append(_errors(other, task, split))
    return zeroed, noised


def _relevance(noised: list[dict[str, float]], base: float, out: str,
               inside: bool) -> tuple[float, float, float]:
    """(mean, sd, median) of the relevance ratio over the draws; (1, 0, 1) outside."""
    if not inside or base <= 0:
        return 1.0, 0.0, 1.0
    ratios = [errors[out] / base for errors in noised]
    return statistics.fmean(ratios), statistics.pstdev(ratios), statistics.median(ratios)


def _saliency(model: Phenotype, task: Task, split: Split) -> dict[str, dict[str, float]]:
    model.eval()
    inputs = {i.name: split[i.name] for i in task.inputs}
    scores: dict[str, dict[str, float]] = {}
    for spec in task.outputs:
        model.zero_grad(set_to_none=True)
        loss = output_loss(spec, model(inputs).outputs[spec.name], split[spec.name])
        loss.backward()  # type: ignore[no-untyped-call]
        raw = {nid: sum(float((p.detach() * p.grad).abs().sum()) for p in net.parameters()
                        if p.grad is not None)
               for nid, net in model.networks.items()}
        total = sum(raw.values())
        scores[spec.name] = {nid: (v / total if total > 0 else 0.0) for nid, v in raw.items()}
    model.zero_grad(set_to_none=True)
    return scores


def diagnose(model: Phenotype, task: Task, *, seed: int = 0, max_samples: int = 512,
             capacity: bool = True, draws: int = 5, noise: str = "scale") -> list[Row]:
    """Every diagnosis metric for every (network, output) pair of a trained model; relevance
    over ``draws`` noise draws of kind ``noise`` (see the module docstring)."""
    if draws < 1:
        raise ValueError(f"relevance draws must be >= 1, got {draws!r}")
    if noise not in RELEVANCE_NOISE:
        raise ValueError(f"relevance noise {noise!r} is not one of {RELEVANCE_NOISE}")
    genome = model.genome
    split = task.val.subset(slice(0, max_samples)).to(next(model.parameters()).device)
    base = _errors(model, task, split)
    saliency = _saliency(model, task, split)
    rows: list[Row] = []
    if capacity:
        caps = network_capacity(model, {i.name: split[i.name][:2] for i in task.inputs},
                                max_pairs=CAPACITY_MAX_PAIRS)
        rows += [(nid, o, "capacity_per_param", cap / params if params else 0.0)
                 for nid, (cap, params) in caps.items()
                 for o in genome.reachable_outputs([nid])]
    for net_id in genome.network_ids:
        reach = set(genome.reachable_outputs([net_id]))
        zeroed, noised = _perturbed_errors(model, net_id, task, split, seed=seed, draws=draws,
                                           noise=noise)
        params = network_cost(genome, net_id)[0]
        for spec in task.outputs:
            o = spec.name
            inside = o in reach
            sub = [n for n in genome.output_subgraph(o) if n in model.networks]
            sub_params = sum(network_cost(genome, n)[0] for n in sub)
            mean, sd, median = _relevance(noised, base[o], o, inside)
            rows += [
                (net_id, o, "relevance", mean),
                (net_id, o, "relevance_sd", sd),
                (net_id, o, "relevance_median", median),
                (net_id, o, "ablation", zeroed[o] / base[o] if inside and base[o] > 0 else 1.0),
                (net_id, o, "saliency", saliency[o][net_id] if inside else 0.0),
                (net_id, o, "param_share", params / sub_params if inside and sub_params else 0.0),
                (net_id, o, "affected", 1.0 if inside else 0.0),
            ]
    return rows
