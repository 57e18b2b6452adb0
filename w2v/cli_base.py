"""The CLI's command and group classes: library errors as one-line messages with exit 1, Ctrl-C as exit
130, and another tool's option name answered with w2v's (habits.py)."""

import sys

import click

from w2v.errors import TrainingInterrupted, W2VError


class Command(click.Command):
    """Answers an option spelled as word2vec.c, gensim, fastText or GloVe spell it with w2v's name for it
    (habits.OPTIONS), before Click's own "no such option"."""

    def parse_args(self, ctx, args):
        from w2v.habits import foreign_option

        problem = foreign_option(args, {o for p in self.params for o in p.opts + p.secondary_opts})
        if problem:
            raise click.UsageError(problem, ctx)
        return super().parse_args(ctx, args)


class Group(click.Group):
    """Turns library errors into one-line messages with exit 1, and Ctrl-C into exit 130."""

    command_class = Command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
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
