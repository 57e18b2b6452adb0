"""The CLI's command and group classes: library errors as one-line messages with exit 1, usage errors on
one line with exit 2, Ctrl-C as exit 130, and another tool's option name answered with w2v's (habits.py)."""

import sys

import click

from w2v.errors import TrainingInterrupted, W2VError


class UsageError(click.UsageError):
    """A usage error on one line, with where to read more (Click's own adds a Usage: header and a hint)."""

    def show(self, file=None):
        where = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        click.echo(f"Error: {self.format_message()}{where}", file=file or sys.stderr)


def one_line(e):
    """Click's usage error ``e`` as a one-line UsageError."""
    return e if isinstance(e, UsageError) else UsageError(e.format_message(), e.ctx)


class Command(click.Command):
    """Answers an option spelled as word2vec.c, gensim, fastText or GloVe spell it with w2v's name for it
    (habits.OPTIONS), before Click's own "no such option"; usage errors on one line."""

    def parse_args(self, ctx, args):
        from w2v.habits import foreign_option

        problem = foreign_option(args, {o for p in self.params for o in p.opts + p.secondary_opts})
        if problem:
            raise UsageError(problem, ctx)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            raise one_line(e) from None


class Group(click.Group):
    """Turns library errors into one-line messages with exit 1, and Ctrl-C into exit 130."""

    command_class = Command

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            raise one_line(e) from None

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as e:
            raise one_line(e) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            raise one_line(e) from None
        except TrainingInterrupted as e:
            click.echo(str(e), err=True)
            sys.exit(e.exit_code)
        except W2VError as e:
            raise click.ClickException(str(e)) from None
        except MemoryError:
            raise click.ClickException("out of memory: try a smaller --dim or --max-vocab") from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
