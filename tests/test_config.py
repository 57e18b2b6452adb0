"""config.py on its own: TrainConfig takes its defaults from the model's entry in choices.MODELS, refuses
a loss the model does not take, lets each model check its own options (trainers' check_options), refuses
options that belong to another model, and derives the learning-rate schedule's ends."""

import pytest

from w2v.choices import LOSSES, MODELS
from w2v.config import RunOptions, TrainConfig
from w2v.errors import OptionError


@pytest.mark.parametrize("model", list(MODELS))
def test_defaults_come_from_the_models_entry(model):
    cfg = TrainConfig(model=model)
    arch = MODELS[model]
    assert (cfg.window, cfg.epochs) == (arch.window, arch.epochs)
    assert cfg.default_alpha == arch.alpha
    if model != "glove":
        assert cfg.start_alpha == arch.alpha and cfg.end_alpha == pytest.approx(arch.alpha * 1e-4)
    if model == "nplm":
        assert cfg.batch == LOSSES[cfg.loss].nplm_batch
    assert (cfg.memory is not None) == (model == "glove")  # (only GloVe's counting reads it)


def test_given_learning_rates_win():
    cfg = TrainConfig(model="cbow", alpha=0.1, min_alpha=0.001)
    assert (cfg.start_alpha, cfg.end_alpha) == (0.1, 0.001)
    with pytest.raises(OptionError, match="--min-alpha .* is larger than --alpha"):
        TrainConfig(alpha=0.01, min_alpha=0.1)


@pytest.mark.parametrize("options,message", [
    (dict(model="sg", loss="softmax"), "--loss softmax is for --model nplm"),
    (dict(model="nope"), "--model must be"),
    (dict(loss="nope"), "--loss must be"),
    (dict(model="nplm", context=0), "--context must be at least 1"),  # the NPLM's own check
    (dict(model="nplm", loss="hs", batch=0), "--batch must be at least 1"),
    (dict(model="glove", eta=0), "--eta must be positive"),  # GloVe's own check
    (dict(model="glove", glove_vectors="c"), "--glove-vectors must be w or w"),
    (dict(model="sg", batch=4), "--batch applies to --model nplm, not sg"),  # another model's option
    (dict(model="nplm", glove_vectors="w"), "--glove-vectors applies to --model glove, not nplm .*--vectors-output"),
    (dict(model="glove", alpha=0.75), "--alpha applies to .*not glove .*--weight-power"),
    (dict(model="glove", loss="hs"), "--loss applies to --model sg, cbow or nplm, not glove"),
    (dict(model="glove", negative=10), "--negative applies"), (dict(model="glove", sample=1e-4), "--sample applies"),
    (dict(model="sg", eta=0.1), "--eta applies to --model glove, not sg"),
    (dict(model="cbow", x_max=10), "--x-max applies"), (dict(model="sg", hidden=50), "--hidden applies"),
    (dict(loss="ns", negative=0), "--negative must be at least 1 with --loss ns"),
])
def test_bad_options_are_refused_with_one_line(options, message):
    with pytest.raises(OptionError, match=message) as e:
        TrainConfig(**options)
    assert "\n" not in str(e.value)


def test_negative_zero_is_fine_for_a_layer_that_draws_no_noise():
    assert TrainConfig(loss="hs", negative=0).negative == 0
    assert TrainConfig(model="nplm", loss="softmax").batch == 64  # the softmax's own default block


def test_run_options_are_a_separate_record():
    run = RunOptions(quiet=True)
    assert run.quiet and run.dask is None and run.sync_bits == 16
    assert "quiet" not in TrainConfig.__dataclass_fields__  # how a run is driven is not what it trains


def test_a_checkpoints_filled_in_options_do_not_count_as_given():
    """A checkpoint saved every field; resuming leaves out other models' options (config.merged)."""
    import dataclasses

    from w2v.config import merged

    saved = dataclasses.asdict(TrainConfig(model="glove"))
    saved.update(batch=1, hidden=100)  # (as an older version saved them)
    assert merged(saved, {}).model == "glove"
    again = dataclasses.asdict(TrainConfig(model="sg", dim=7))
    assert TrainConfig(**again) == TrainConfig(model="sg", dim=7)  # a config rebuilt from its fields


def test_a_checkpoint_from_before_the_export_split_keeps_its_glove_vectors():
    """GloVe's w|w+c choice was saved as ``export`` before --export split in two; merged renames it."""
    import dataclasses

    from w2v.config import merged

    saved = dataclasses.asdict(TrainConfig(model="glove"))
    del saved["glove_vectors"]
    saved["export"] = "w"
    assert merged(saved, {}).glove_vectors == "w"
    assert merged(saved, {"glove_vectors": "w+c"}).glove_vectors == "w+c"  # given again, it wins


def test_a_glove_checkpoint_from_before_the_tiles_resumes_in_its_plain_order():
    """--pair-order came with the tiled order; a checkpoint saved before it trained the plain shuffle, and
    resumes on it, while a checkpoint that holds the field keeps its value."""
    import dataclasses

    from w2v.config import merged

    saved = dataclasses.asdict(TrainConfig(model="glove"))
    assert merged(saved, {}).pair_order == "tiled"
    del saved["pair_order"]
    assert merged(saved, {}).pair_order == "shuffled"
    assert merged(saved, {"pair_order": "tiled"}).pair_order == "tiled"  # given again, it wins
