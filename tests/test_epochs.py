"""epochs.py on its own: the one epoch loop with an Epochs that is not a Numba kernel (the loop knows only
the protocol): progress after every step, per-epoch losses, the callback's records and stop, a checkpoint
and resume at the step where it stopped, divergence, and the warm-up's line."""

import math

import numpy as np
import pytest

from w2v.checkpoint import Progress
from w2v.config import RunOptions
from w2v.epochs import Epochs, divergence_test, load_kernels, run_epochs
from w2v.errors import TrainingDiverged, TrainingInterrupted

LENGTH, STEP = 10, 4  # positions per epoch; positions per step (the last step of an epoch is shorter)


def counting_epochs(trained, loss_at=lambda epoch, position: 2.0):
    """An epoch of LENGTH positions in steps of STEP; ``trained`` records each step's (epoch, start)."""
    def steps(epoch, start, stop):
        for position in range(start, LENGTH, STEP):
            trained.append((epoch, position))
            end = min(position + STEP, LENGTH)
            yield end, loss_at(epoch, position) * (end - position), end - position

    probe = np.zeros(1)
    return Epochs(length=LENGTH, steps=steps, rate=lambda epoch, position: 0.5, kernels=(),
                  diverged=divergence_test(probe, "--alpha", 0.5, 0.025), warm_up=lambda: None, ready="nothing")


def test_every_step_is_trained_once_and_each_epoch_has_its_mean_loss():
    trained, records = [], []
    progress = Progress()
    run_epochs(counting_epochs(trained, lambda e, p: float(e + 1)), 3, progress, RunOptions(quiet=True,
               callback=records.append), None)
    assert trained == [(e, p) for e in range(3) for p in (0, 4, 8)]
    assert progress.epoch_losses == [1.0, 2.0, 3.0] and progress.epoch_predictions == [LENGTH] * 3
    assert (progress.epoch, progress.position) == (3, 0)
    assert [r["epoch"] for r in records] == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert records[-1]["words"] == 3 * LENGTH and records[0]["alpha"] == 0.5


def test_a_stop_checkpoints_the_step_it_reached_and_resume_goes_on_from_there(tmp_path):
    trained, saved = [], []
    progress = Progress()
    stop_after = iter(range(4, -1, -1))  # stop at the fifth step (epoch 2, position 8)
    run = RunOptions(quiet=True, checkpoint=str(tmp_path / "ck"), callback=lambda r: next(stop_after) == 0)
    with pytest.raises(TrainingInterrupted):
        run_epochs(counting_epochs(trained), 3, progress, run, lambda: saved.append((progress.epoch,
                                                                                      progress.position)))
    assert saved[-1] == (1, 8) and trained[-1] == (1, 4)
    again = []
    run_epochs(counting_epochs(again), 3, progress, RunOptions(quiet=True), None)
    assert again[0] == (1, 8) and trained + again == [(e, p) for e in range(3) for p in (0, 4, 8)]


def test_a_loss_that_is_not_finite_stops_training_with_the_option_to_lower():
    with pytest.raises(TrainingDiverged, match="learning rate --alpha 0.5 is too large.*default is 0.025"):
        run_epochs(counting_epochs([], lambda e, p: math.inf if p == 4 else 1.0), 2, Progress(),
                   RunOptions(quiet=True), None)
    message = divergence_test(np.array([np.nan]), "--eta", 1.0, 0.05)(0.5, 2)  # the weights, not the loss
    assert "in epoch 3" in message and "--eta 1.0" in message


def test_load_kernels_says_what_the_warm_up_did(capsys):
    called = []
    epochs = counting_epochs([])._replace(warm_up=lambda: called.append(1))
    load_kernels(epochs, RunOptions())
    assert called == [1] and capsys.readouterr().err.startswith("nothing in ")
    load_kernels(epochs, RunOptions(quiet=True))
    assert capsys.readouterr().err == ""
