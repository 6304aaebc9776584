"""The review screen (rich), and the loop that feeds keys to a session and shows what it says.

Survey text is always put on screen as ``rich.text.Text`` (never parsed as markup), so an answer that
contains ``[b]`` shows ``[b]``.

At a terminal the whole screen is redrawn after each key. With line input (a pipe, a script) the loop
prints each unit once when it appears, then one line per event that changes something ("saved: ...",
"selected: ..."), so a transcript reads top to bottom.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from thematic.review.session import HELP, ReviewSession, View
from thematic.terminal import strip_controls

MAX_ATTRIBUTES = 6
KEY_LINE = (
    "digits toggle · Enter save · a accept · 0 none · s skip · f flag · n note · u undo · ? help · q quit"
)


def _selected_names(view: View) -> str:
    chosen = [f"{t.number} {t.id}" for t in view.themes if t.selected]
    if chosen:
        return ", ".join(chosen)
    return "no theme applies" if view.none_chosen else "nothing yet"


def header(view: View) -> Text:
    text = Text()
    text.append("thematic review", style="bold")
    text.append(f" · coder {view.coder} · {view.done} of {view.total} coded")
    if view.blind:
        text.append(" · blind", style="bold magenta")
    return text


def response_text(view: View, *, terminal: bool) -> Text:
    unit = view.unit
    response = strip_controls(view.response)  # one character for one: the offsets still hold
    whole = (unit.start, unit.end) == (0, len(response))
    if terminal or whole:
        text = Text(response)
        if not whole:
            text.stylize("dim", 0, len(response))
            text.stylize("not dim bold reverse", unit.start, unit.end)
        return text
    return Text(response[: unit.start] + "[[" + response[unit.start : unit.end] + "]]" + response[unit.end :])


def theme_table(view: View) -> Table:
    table = Table(show_header=True, show_edge=False, box=None, pad_edge=False, padding=(0, 1))
    table.add_column("", no_wrap=True)
    table.add_column("#", justify="right")
    table.add_column("theme")
    if view.has_suggestions:
        table.add_column("machine", justify="right")
        table.add_column("")
    for line in view.themes:
        mark = Text("[x]" if line.selected else "[ ]", style="bold green" if line.selected else "dim")
        row = [
            mark,
            str(line.number),
            Text(f"{line.name} ({line.id})", style="bold" if line.selected else ""),
        ]
        if view.has_suggestions:
            row.append("" if line.score is None else f"{line.score:.2f}")
            row.append(Text("suggested", style="cyan") if line.suggested else "")
        table.add_row(*row)
    return table


def render(view: View, *, terminal: bool = True) -> Group:
    """The whole screen for one view."""
    parts: list = [header(view)]
    if view.unit is None:
        parts.append(Rule(style="dim"))
        parts.append(Text(f"nothing left to code in this walk: {view.done} of {view.total} units coded."))
        parts.append(Text("u undoes your last decision; q quits.", style="dim"))
        if view.message:
            parts.append(Text(view.message, style="yellow"))
        return Group(*parts)
    unit = view.unit
    about = Text(
        strip_controls(f"unit {unit.id} · respondent {unit.respondent_id} · question {unit.question_id}"),
        style="dim",
    )
    parts.append(about)
    shown = [(k, v) for k, v in view.attributes.items() if v not in (None, "")]
    if shown:
        limit = len(shown) if view.show_help else MAX_ATTRIBUTES
        line = Text(strip_controls(" · ".join(f"{k}: {v}" for k, v in shown[:limit])))
        if len(shown) > limit:
            line.append(f" · (+{len(shown) - limit} more: press ? to see them)", style="dim")
        parts.append(line)
    body = response_text(view, terminal=terminal)
    parts.append(Panel(body, title="response", title_align="left", border_style="blue") if terminal else body)
    if view.earlier:
        parts.append(Text(f"you {view.earlier} before", style="dim"))
    if view.earlier_note:
        parts.append(Text(strip_controls(f"your earlier note: {view.earlier_note}"), style="dim"))
    for line in view.panel:
        parts.append(Text(strip_controls(line), style="magenta"))
    parts.append(theme_table(view))
    status = Text(f"selected: {_selected_names(view)}")
    if view.note:
        status.append(f" · note: {view.note}", style="italic")
    if view.pending_digits:
        status.append(f" · theme number: {view.pending_digits}_", style="bold")
    parts.append(status)
    if view.show_help:
        help_table = Table(show_header=False, box=None, pad_edge=False)
        for key, what in HELP:
            help_table.add_row(Text(key, style="bold"), what)
        parts.append(help_table)
    parts.append(Text(KEY_LINE, style="dim"))
    if terminal and view.last_saved and view.message != view.last_saved:
        parts.append(Text(view.last_saved, style="dim green"))
    if view.message:
        parts.append(Text(view.message, style="green" if view.message.startswith("saved") else "yellow"))
    return Group(*parts)


def loop(session: ReviewSession, reader, console: Console, *, interactive: bool) -> None:
    """Feed the reader's events to the session until it quits or input ends; show each step."""
    if interactive:
        _loop_terminal(session, reader, console)
    else:
        _loop_lines(session, reader, console)


def _flush(console: Console) -> None:
    try:
        console.file.flush()
    except (AttributeError, ValueError, OSError):
        pass


def _loop_terminal(session: ReviewSession, reader, console: Console) -> None:
    def draw() -> None:
        console.clear()
        console.print(render(session.view(), terminal=True), soft_wrap=False)
        _flush(console)

    draw()
    events = reader.events()
    try:
        for kind, value in events:
            if kind == "eof":
                break
            if kind == "note":
                session.set_note(value)
            else:
                session.press(value)
            if session.finished:
                break
            draw()
    finally:
        events.close()  # gives the terminal its mode back
    if not session.finished:
        session.quit()
    console.print(Text(session.message))
    _flush(console)


def _loop_lines(session: ReviewSession, reader, console: Console) -> None:
    shown_unit = object()

    def say(text: str, style: str = "") -> None:
        console.print(Text(text, style=style))
        _flush(console)

    def show_unit() -> None:
        nonlocal shown_unit
        console.print(Rule(style="dim"))
        console.print(render(session.view(), terminal=False), soft_wrap=False)
        _flush(console)
        shown_unit = (session.pos, session.unit)

    show_unit()
    session.message = ""
    for kind, value in reader.events():
        if kind == "eof":
            break
        if kind == "note":
            session.set_note(value)
        else:
            before = (set(session.draft), session.none_chosen, session.show_help)
            session.do(value)
            after = (set(session.draft), session.none_chosen, session.show_help)
            if session.finished:
                break
            if (session.pos, session.unit) == shown_unit and before != after and not session.message:
                if session.show_help != before[2]:
                    console.print(render(session.view(), terminal=False), soft_wrap=False)
                else:
                    say(f"selected: {_selected_names(session.view())}")
        if session.message:
            say(session.message)
            session.message = ""
        if (session.pos, session.unit) != shown_unit:
            show_unit()
    if not session.finished:
        session.quit()
    say(session.message)
