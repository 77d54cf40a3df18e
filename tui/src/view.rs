//! Rendering: the state, at an instant, onto a frame. Pure: the same state, instant and size
//! always draw the same screen, which is what the snapshot tests rely on.
//!
//! Every colour has words beside it (the health verdict, statuses, event texts), so the
//! screen reads the same without colour (`NO_COLOR`, `--no-color`).

use belfry_client::model::ExecutionStatus;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::keys::{BINDINGS, help_bar};
use crate::state::{
    FLASH_FOR, JobRow, JobView, LeaderLine, Level, NodeRow, Overlay, Pane, Pick, Quorum, Role, Run,
    State, status_word,
};

/// Data older than this is called stale in the header.
const STALE_AFTER: Duration = Duration::seconds(3);

/// Styles, with or without colour.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    fn good(&self) -> Style {
        self.fg(Color::Green)
    }
    fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    fn bad(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn strong(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    fn key(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    fn title(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            (true, false) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            (false, _) => Style::new().add_modifier(Modifier::BOLD),
        }
    }
    fn level(&self, level: Level) -> Style {
        match level {
            Level::Info => Style::new(),
            Level::Good => self.good(),
            Level::Warn => self.warn(),
            Level::Bad => self.bad(),
        }
    }
    fn quorum(&self, q: Quorum) -> Style {
        match q {
            // Not knowing is not fine: never green, and bold.
            Quorum::Unknown => self.warn().add_modifier(Modifier::BOLD),
            Quorum::Ok => self.good().add_modifier(Modifier::BOLD),
            Quorum::AtRisk => self.warn().add_modifier(Modifier::BOLD),
            Quorum::Lost => self.bad(),
        }
    }
}

/// Draws the whole screen.
pub fn render(frame: &mut Frame, state: &State, now: DateTime<Utc>, theme: &Theme) {
    let [header, body, bar] = screen_areas(frame.area());
    render_header(frame, header, state, now, theme);
    render_body(frame, body, state, now, theme);
    render_bar(frame, bar, state, theme);
    match &state.ui.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => render_help(frame, body, *scroll, theme),
        Overlay::Problems { selected } => {
            render_problems(frame, body, state, *selected, now, theme)
        }
        Overlay::Trends { selected } => render_trends(frame, body, state, *selected, now, theme),
        Overlay::JobDetails(view) => render_job_details(frame, body, state, view, now, theme),
        Overlay::NodeDetails { name, scroll } => {
            render_node_details(frame, body, state, name, *scroll, now, theme)
        }
        Overlay::Confirm(pending) => {
            match &*pending.back {
                Overlay::JobDetails(view) => {
                    render_job_details(frame, body, state, view, now, theme)
                }
                Overlay::NodeDetails { name, scroll } => {
                    render_node_details(frame, body, state, name, *scroll, now, theme)
                }
                _ => {}
            }
            render_confirm(frame, body, &pending.question, theme)
        }
    }
}

/// One piece of a header line, and how much it matters (the lowest goes first when the
/// line is too narrow).
struct Piece {
    rank: u8,
    spans: Vec<Span<'static>>,
}

fn piece(rank: u8, spans: Vec<Span<'static>>) -> Piece {
    Piece { rank, spans }
}

/// The pieces that fit `width`, in their order, two spaces apart: the least important are
/// left out first, so the verdict is the last thing cut.
fn fit_pieces(mut pieces: Vec<Piece>, width: u16) -> Line<'static> {
    let len = |ps: &[Piece]| -> usize {
        ps.iter()
            .map(|p| p.spans.iter().map(|s| s.width()).sum::<usize>())
            .sum::<usize>()
            + 2 * ps.len().saturating_sub(1)
    };
    while len(&pieces) > width as usize && pieces.len() > 1 {
        let lowest = (0..pieces.len())
            .min_by_key(|&i| (pieces[i].rank, std::cmp::Reverse(i)))
            .unwrap_or(0);
        pieces.remove(lowest);
    }
    let mut spans = Vec::new();
    for (i, p) in pieces.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.extend(p.spans);
    }
    Line::from(spans)
}

fn render_header(frame: &mut Frame, area: Rect, state: &State, now: DateTime<Utc>, t: &Theme) {
    let width = area.width;
    let mut first = vec![piece(2, vec![Span::styled("belfry top", t.strong())])];
    if let (None, Some(c)) = (&state.unreachable, &state.cluster) {
        first.push(piece(1, vec![Span::raw(format!("via {}", c.via))]));
    }
    if let Some(at) = state.cluster_at {
        let age = now - at;
        let style = if age > STALE_AFTER { t.warn() } else { t.dim() };
        let stale = if age > STALE_AFTER { "STALE: " } else { "" };
        first.push(piece(
            if age > STALE_AFTER { 8 } else { 3 },
            vec![Span::styled(
                format!("{stale}data {} old", crate::text::age_text(age)),
                style,
            )],
        ));
    }
    // With no server answering, a count of old problems would mislead.
    if state.cluster.is_some() && state.unreachable.is_none() {
        let n = state.problems(now).len();
        first.push(match n {
            0 => piece(1, vec![Span::styled("no problems", t.good())]),
            1 => piece(7, vec![Span::styled("1 problem (p)", t.warn())]),
            n => piece(7, vec![Span::styled(format!("{n} problems (p)"), t.warn())]),
        });
    }
    match (&state.unreachable, &state.cluster) {
        (Some((_, reason)), _) => first.push(piece(
            9,
            vec![Span::styled(
                format!("NO SERVER ANSWERS: {reason}"),
                t.bad(),
            )],
        )),
        (None, Some(_)) => {}
        (None, None) => first.push(piece(
            9,
            vec![Span::raw(format!("connecting to {}…", state.target))],
        )),
    }
    let first = fit_pieces(first, width);
    let flash = state
        .ui
        .flash
        .as_ref()
        .filter(|(at, _)| now - *at < FLASH_FOR)
        .map(|(_, text)| text.as_str());
    let right = match flash {
        Some(text) => Span::styled(text.to_string(), t.strong()),
        None if state.read_only => Span::styled("read-only", t.dim()),
        None => Span::raw(""),
    };
    let (second, third) = match &state.cluster {
        None => (Line::raw(""), Line::raw("")),
        Some(c) => {
            let h = &c.health;
            let mut leader = Vec::new();
            let named = match state.leader_line() {
                LeaderLine::Named {
                    name,
                    without_quorum,
                } => {
                    let mut spans = vec![Span::raw("Leader "), Span::styled(name, t.strong())];
                    if without_quorum {
                        spans.push(Span::styled(" (no quorum: cannot commit)", t.bad()));
                    }
                    leader.push(piece(9, spans));
                    true
                }
                LeaderLine::None { dead } => {
                    let mut spans = vec![Span::raw("Leader "), Span::styled("none", t.bad())];
                    if let Some(d) = dead {
                        spans.push(Span::styled(format!(" ({d} is down)"), t.bad()));
                    }
                    leader.push(piece(9, spans));
                    false
                }
                LeaderLine::Unknown { last, why } => {
                    let last = last
                        .map(|l| format!(", last known {l}"))
                        .unwrap_or_default();
                    leader.push(piece(
                        9,
                        vec![
                            Span::raw("Leader "),
                            Span::styled(format!("unknown ({why}{last})"), t.warn()),
                        ],
                    ));
                    false
                }
            };
            if let (true, Some(term)) = (named, h.term) {
                leader.push(piece(3, vec![Span::raw(format!("term {term}"))]));
            }
            if let (true, Some(since)) = (named, h.leader_since) {
                leader.push(piece(
                    2,
                    vec![Span::raw(format!(
                        "since {} ({} ago)",
                        clock(since, state.offset),
                        crate::text::age_text(now - since)
                    ))],
                ));
            }
            if h.elections_last_hour > 1 {
                leader.push(piece(
                    4,
                    vec![Span::styled(
                        format!("{} elections in the last hour", h.elections_last_hour),
                        t.warn(),
                    )],
                ));
            }
            let alive = h.servers.iter().filter(|s| s.voter && s.alive).count();
            let (verdict, words) = state.verdict(now);
            // Numbers that are not current say so.
            let voters = if verdict == Quorum::Unknown {
                "Last known: voters"
            } else {
                "Voters"
            };
            let quorum = vec![
                piece(
                    5,
                    vec![Span::raw(format!("{voters} {alive}/{} alive", h.voters))],
                ),
                piece(3, vec![Span::raw(format!("quorum {}", h.quorum))]),
                piece(
                    4,
                    vec![Span::raw(format!("tolerance {}", h.failure_tolerance))],
                ),
                piece(9, vec![Span::styled(words, t.quorum(verdict))]),
            ];
            (fit_pieces(leader, width), fit_pieces(quorum, width))
        }
    };
    let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Length(2)]).areas(area);
    // The message gets what the status leaves, and is cut if need be (the log keeps it whole).
    let left_width = (first.width() as u16 + 2).min(top.width);
    let [left, flash_area] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(top);
    frame.render_widget(Paragraph::new(first), left);
    frame.render_widget(
        Paragraph::new(Line::from(right)).alignment(ratatui::layout::HorizontalAlignment::Right),
        flash_area,
    );
    frame.render_widget(Paragraph::new(vec![second, third]), rest);
}

/// From this width on, a side panel shows the last hour's trends and the worst problems.
pub const WIDE: u16 = 150;
/// The side panel's width.
const SIDE: u16 = 46;

/// The header, the body and the help bar of a screen of `size`.
fn screen_areas(size: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(size)
}

/// Where each pane is drawn in `body`, and the side panel on wide terminals. Zoomed, the
/// focused pane takes it all.
pub fn body_layout(state: &State, body: Rect) -> (Vec<(Pane, Rect)>, Option<Rect>) {
    if state.ui.zoomed {
        return (vec![(state.ui.focus, body)], None);
    }
    let (main, side) = if body.width >= WIDE {
        let [main, side] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SIDE)]).areas(body);
        (main, Some(side))
    } else {
        (body, None)
    };
    let h = main.height;
    let nodes = state.row_count(Pane::Nodes) as u16;
    // Nodes: their rows, up to about a third; the feed and the log: a quarter; jobs: the rest.
    let nodes_h = (nodes + 2).clamp(4, (h * 35 / 100).max(7));
    let bottom_h = (h / 4).max(6);
    let [nodes_area, jobs_area, bottom] = Layout::vertical([
        Constraint::Length(nodes_h),
        Constraint::Min(4),
        Constraint::Length(bottom_h),
    ])
    .areas(main);
    let [feed_area, events_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    (
        vec![
            (Pane::Nodes, nodes_area),
            (Pane::Jobs, jobs_area),
            (Pane::Executions, feed_area),
            (Pane::Events, events_area),
        ],
        side,
    )
}

/// What is under the cell at (`x`, `y`) of a screen of `size`: a pane, and which of its
/// visible rows, if a row. The same layout and scrolling as drawing uses.
pub fn hit(state: &State, size: Rect, x: u16, y: u16) -> Option<(Pane, Option<usize>)> {
    let [_, body, _] = screen_areas(size);
    let (panes, _) = body_layout(state, body);
    let (pane, r) = panes
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position { x, y }))?;
    // Tables: a top border and a header line; the events: a top border only.
    let skip = if pane == Pane::Events { 1 } else { 2 };
    let first = r.y + skip;
    if y < first {
        return Some((pane, None));
    }
    let len = state.row_count(pane);
    let (offset, end) = window(
        len,
        state.selected(pane, len),
        r.height.saturating_sub(skip) as usize,
    );
    let row = offset + (y - first) as usize;
    Some((pane, (row < end).then_some(row)))
}

/// The row of the problems or trends view under (`x`, `y`), if one is open and a row is
/// there: the same geometry as they are drawn with.
pub fn hit_overlay(state: &State, size: Rect, x: u16, y: u16, now: DateTime<Utc>) -> Option<usize> {
    let [_, body, _] = screen_areas(size);
    let inner = Block::bordered().inner(body);
    let (selected, len, skip) = match state.ui.overlay {
        // A header line.
        Overlay::Problems { selected } => (selected, state.sorted_problems(now).len(), 1),
        // Four trend lines, a blank one and a header line.
        Overlay::Trends { selected } => (selected, state.visible_job_indices().len(), 6),
        _ => return None,
    };
    let first = inner.y + skip;
    if !inner.contains(ratatui::layout::Position { x, y }) || y < first {
        return None;
    }
    let (offset, end) = window(
        len,
        state.selected_in(len, selected),
        inner.height.saturating_sub(skip) as usize,
    );
    let row = offset + (y - first) as usize;
    (row < end).then_some(row)
}

fn render_body(frame: &mut Frame, area: Rect, state: &State, now: DateTime<Utc>, t: &Theme) {
    let (panes, side) = body_layout(state, area);
    for (pane, r) in panes {
        match pane {
            Pane::Nodes => render_nodes(frame, r, state, &state.visible_nodes(), now, t),
            Pane::Jobs => render_jobs(frame, r, state, now, t),
            Pane::Executions => render_feed(frame, r, state, now, t),
            Pane::Events => render_events(frame, r, state, t),
        }
    }
    if let Some(side) = side {
        render_side(frame, side, state, now, t);
    }
}

/// The side panel of wide terminals: the last hour's trends and the worst problems.
fn render_side(frame: &mut Frame, area: Rect, state: &State, now: DateTime<Utc>, t: &Theme) {
    use crate::trends::{MINUTES, spark_text};
    let block = Block::new()
        .borders(Borders::TOP | Borders::LEFT)
        .border_style(t.dim())
        .title(Span::styled(" Last hour (T) ", t.title(false)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let spark_w = (inner.width as usize).saturating_sub(10).min(MINUTES);
    let c = state.cluster_trend(now);
    let spark = |name: &str, values: &[u64], worst: bool, style: Style| {
        Line::from(vec![
            Span::styled(format!("{name:<9} "), t.strong()),
            Span::styled(
                format!("{:>spark_w$}", spark_text(values, spark_w, worst)),
                style,
            ),
        ])
    };
    let health = {
        let per = MINUTES.div_ceil(spark_w.max(1));
        let minutes = state.health_timeline(now);
        let mut glyphs: Vec<char> = minutes
            .rchunks(per)
            .map(|c| {
                crate::trends::health_glyph(c.iter().flatten().copied().max_by_key(|q| match q {
                    Quorum::Ok => 0,
                    Quorum::AtRisk => 1,
                    Quorum::Unknown => 2,
                    Quorum::Lost => 3,
                }))
            })
            .collect();
        glyphs.reverse();
        glyphs.into_iter().collect::<String>()
    };
    let late = c.lateness_ms.iter().copied().max().unwrap_or(0);
    let mut lines = vec![
        spark("Runs", &c.runs, false, t.good()),
        spark("Failures", &c.failures, false, t.bad()),
        spark("Lateness", &c.lateness_ms, true, t.warn()),
        Line::from(vec![
            Span::styled(format!("{:<9} ", "Health"), t.strong()),
            Span::styled(format!("{health:>spark_w$}"), t.good()),
        ]),
        Line::styled(
            format!(
                "{} runs, {} failed, worst launch {} late",
                c.runs.iter().sum::<u64>(),
                c.failures.iter().sum::<u64>(),
                crate::text::age_text(Duration::milliseconds(late as i64))
            ),
            t.dim(),
        ),
        Line::raw(""),
    ];
    let problems = state.problems(now);
    lines.push(Line::styled(
        format!("Problems ({}, p)", problems.len()),
        t.strong(),
    ));
    if problems.is_empty() {
        lines.push(Line::styled("none", t.good()));
    }
    for p in &problems {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<7} ", p.kind.word()), t.level(p.level)),
            Span::raw(format!("{}: {}", p.subject_name(), p.text)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A pane's frame: a title line, highlighted when focused.
fn pane_block<'a>(state: &State, pane: Pane, count: usize, extra: &str, t: &Theme) -> Block<'a> {
    let focused = state.ui.focus == pane && matches!(state.ui.overlay, Overlay::None);
    let mut title = format!(" {} ({count}) ", pane.title());
    if let Some(f) = state.filter_of(pane) {
        title.push_str(&format!("/{}/ ", f.text));
    }
    if let Some(order) = state.sort_of(pane).label(pane) {
        title.push_str(&format!("{order} "));
    }
    if state.ui.zoomed {
        title.push_str("zoomed (z) ");
    }
    let mut spans = vec![Span::styled(title, t.title(focused))];
    if !extra.is_empty() {
        spans.push(Span::styled(format!(" {extra} "), t.warn()));
    }
    let borders = if pane == Pane::Events {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    Block::new()
        .borders(borders)
        .border_style(t.dim())
        .title(Line::from(spans))
}

/// The first column (names) is cut to this before other columns are left out.
const FIRST_COLUMN_MIN: u16 = 10;

/// A column: its title, its width, and how readily it is left out when space is short
/// (0: never).
struct Column {
    title: &'static str,
    width: u16,
    drop_rank: u8,
}

/// The columns that fit `width`, in their order. The first column takes what is left.
fn fit(columns: &[Column], room: u16) -> Vec<usize> {
    let mut by_rank: Vec<usize> = (0..columns.len()).collect();
    by_rank.sort_by_key(|&i| columns[i].drop_rank);
    let mut used = 0u16;
    let mut kept = Vec::new();
    for i in by_rank {
        // A column with nothing to show is left out.
        if columns[i].width == 0 {
            continue;
        }
        // The first column can shrink to make room: count it at most at its minimum.
        let width = if i == 0 {
            columns[i].width.min(FIRST_COLUMN_MIN)
        } else {
            columns[i].width
        };
        let need = width + if kept.is_empty() { 0 } else { 1 };
        if used + need <= room || columns[i].drop_rank == 0 {
            used += need;
            kept.push(i);
        }
    }
    kept.sort();
    kept
}

/// The first row to show so that `selected` is on screen, and the window's rows.
fn window(len: usize, selected: Option<usize>, height: usize) -> (usize, usize) {
    // A pane with no room still has the selected row as its first (a terminal a few lines
    // high must not panic).
    let height = height.max(1);
    let sel = selected.unwrap_or(0);
    let offset = if sel >= height { sel + 1 - height } else { 0 };
    (offset, (offset + height).min(len))
}

/// Draws a table of string cells, keeping the columns that fit.
#[allow(clippy::too_many_arguments)]
fn draw_table(
    frame: &mut Frame,
    area: Rect,
    block: Block,
    columns: &mut [Column],
    rows: Vec<(Vec<Cell<'static>>, Style)>,
    offset: usize,
    selected: Option<usize>,
    focused: bool,
    t: &Theme,
) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let kept = fit(columns, inner.width);
    // The first column (the name) gets its natural width if there is room, else what the
    // others leave.
    let others: u16 = kept.iter().skip(1).map(|&i| columns[i].width + 1).sum();
    if let Some(&first) = kept.first() {
        columns[first].width = columns[first].width.min(inner.width.saturating_sub(others));
    }
    let widths: Vec<Constraint> = kept
        .iter()
        .map(|&i| Constraint::Length(columns[i].width))
        .collect();
    let header = Row::new(
        kept.iter()
            .map(|&i| Cell::from(columns[i].title))
            .collect::<Vec<_>>(),
    )
    .style(t.strong().add_modifier(Modifier::UNDERLINED));
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|(cells, style)| {
            let mut cells: Vec<Option<Cell>> = cells.into_iter().map(Some).collect();
            Row::new(
                kept.iter()
                    .map(|&i| cells[i].take().unwrap_or_default())
                    .collect::<Vec<_>>(),
            )
            .style(style)
        })
        .collect();
    let mut table = Table::new(rows, widths).header(header).column_spacing(1);
    if focused {
        table = table.row_highlight_style(t.selected());
    }
    let mut table_state =
        TableState::default().with_selected(selected.map(|s| s.saturating_sub(offset)));
    frame.render_stateful_widget(table, inner, &mut table_state);
}

fn render_nodes(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    nodes: &[NodeRow],
    now: DateTime<Utc>,
    t: &Theme,
) {
    let stats_age = nodes
        .iter()
        .filter_map(|n| state.node_stats.get(&n.name).map(|(at, _)| now - *at))
        .min();
    let cluster_age = state.cluster_at.map(|at| now - at);
    let extra = match (cluster_age, stats_age) {
        // Statuses that old may be contradicted already: the title says how old they are.
        (Some(age), _) if age > STALE_AFTER => format!("as of {} ago", crate::text::age_text(age)),
        (_, Some(age)) if age > Duration::seconds(15) => {
            format!("load {} old", crate::text::age_text(age))
        }
        _ => String::new(),
    };
    let block = pane_block(state, Pane::Nodes, nodes.len(), &extra, t);
    let width = |f: &dyn Fn(&NodeRow) -> usize, min: usize, max: usize| {
        nodes.iter().map(f).max().unwrap_or(0).clamp(min, max) as u16
    };
    let mut columns = vec![
        Column {
            title: "Name",
            width: width(&|n| n.name.chars().count(), 4, 24),
            drop_rank: 0,
        },
        Column {
            title: "Role",
            width: 7,
            drop_rank: 0,
        },
        Column {
            title: "Status",
            width: 7,
            drop_rank: 0,
        },
        Column {
            title: "Contact",
            width: 13,
            drop_rank: 1,
        },
        Column {
            title: "Lag",
            width: 5,
            drop_rank: 2,
        },
        Column {
            title: "Run",
            width: 3,
            drop_rank: 1,
        },
        Column {
            title: "Clock",
            // Until a server's offset is measured there is nothing to show.
            width: if nodes.iter().any(|n| {
                n.server
                    .as_ref()
                    .is_some_and(|s| s.clock_offset_ms.is_some())
            }) {
                7
            } else {
                0
            },
            drop_rank: 2,
        },
        Column {
            title: "Queue",
            // Shown while a node has launches waiting.
            width: if nodes.iter().any(|n| state.backlog_of(&n.name) > 0) {
                5
            } else {
                0
            },
            drop_rank: 1,
        },
        Column {
            title: "CPU",
            width: 6,
            drop_rank: 2,
        },
        Column {
            title: "Mem",
            width: 6,
            drop_rank: 2,
        },
        Column {
            title: "Disk",
            width: 6,
            drop_rank: 3,
        },
        Column {
            title: "Address",
            width: width(&|n| n.gossip_addr.len(), 7, 40),
            drop_rank: 5,
        },
        Column {
            title: "Region/DC",
            width: width(&|n| n.region.len() + n.dc.len() + 1, 9, 30),
            drop_rank: 6,
        },
        Column {
            title: "Version",
            width: width(&|n| n.version.len(), 7, 16),
            drop_rank: 4,
        },
        Column {
            title: "Tags",
            width: width(&|n| tags_text(n).len(), 4, 40),
            drop_rank: 7,
        },
    ];
    let bound = state
        .cluster
        .as_ref()
        .and_then(|c| c.health.max_clock_offset_ms);
    let height = area.height.saturating_sub(2) as usize;
    let selected = state.selected(Pane::Nodes, nodes.len());
    let (offset, end) = window(nodes.len(), selected, height);
    let rows = nodes[offset..end]
        .iter()
        .map(|n| {
            let status_style = match n.status.as_str() {
                "alive" => Style::new(),
                "failed" | "gone" => t.bad(),
                _ => t.warn(),
            };
            let role_style = match n.role {
                Role::Leader => t.strong(),
                _ => Style::new(),
            };
            let (cpu, mem, disk) = match &n.stats {
                Some(Ok(s)) => (
                    s.cpu_percent.map(|c| format!("{c:.1}%")),
                    s.rss_bytes.map(bytes_text),
                    s.data_dir_bytes.map(bytes_text),
                ),
                _ => (None, None, None),
            };
            let dash = || "-".to_string();
            let cells = vec![
                Cell::from(n.name.clone()),
                Cell::from(Span::styled(n.role.word(), role_style)),
                Cell::from(Span::styled(n.status.clone(), status_style)),
                Cell::from(contact_text(n, now)),
                Cell::from(
                    n.server
                        .as_ref()
                        .and_then(|s| s.log_lag)
                        .map(|l| l.to_string())
                        .unwrap_or_else(dash),
                ),
                Cell::from(n.running.to_string()),
                {
                    let text = crate::problems::clock_text(
                        n.server.as_ref().and_then(|s| s.clock_offset_ms),
                        bound,
                    );
                    let style = if text.ends_with('!') {
                        t.bad()
                    } else {
                        Style::new()
                    };
                    Cell::from(Span::styled(text, style))
                },
                {
                    let backlog = state.backlog_of(&n.name);
                    let style = if backlog > 0 { t.warn() } else { Style::new() };
                    Cell::from(Span::styled(backlog.to_string(), style))
                },
                Cell::from(cpu.unwrap_or_else(dash)),
                Cell::from(mem.unwrap_or_else(dash)),
                Cell::from(disk.unwrap_or_else(dash)),
                Cell::from(n.gossip_addr.clone()),
                Cell::from(if n.region.is_empty() {
                    String::new()
                } else {
                    format!("{}/{}", n.region, n.dc)
                }),
                Cell::from(n.version.clone()),
                Cell::from(tags_text(n)),
            ];
            (cells, Style::new())
        })
        .collect();
    let focused = state.ui.focus == Pane::Nodes;
    draw_table(
        frame,
        area,
        block,
        &mut columns,
        rows,
        offset,
        selected,
        focused,
        t,
    );
}

fn tags_text(n: &NodeRow) -> String {
    let tags: Vec<String> = n.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tags.join(",")
}

/// Last contact for a live server; "seen … ago" for a node that is not alive.
fn contact_text(n: &NodeRow, now: DateTime<Utc>) -> String {
    if !n.alive {
        return match n.last_seen {
            Some(t) => format!("seen {} ago", crate::text::age_text(now - t)),
            None => "never seen".into(),
        };
    }
    match n.server.as_ref().and_then(|s| s.last_contact_ms) {
        Some(ms) => format!("{ms}ms"),
        None => "-".into(),
    }
}

fn render_jobs(frame: &mut Frame, area: Rect, state: &State, now: DateTime<Utc>, t: &Theme) {
    let jobs = state.visible_job_indices();
    let held = state.launches_stopped();
    let extra = match (&state.jobs_error, state.jobs_at) {
        _ if held => "no quorum: no launches, countdowns stopped".to_string(),
        (Some(_), Some(at)) => format!(
            "reading failed; data {} old",
            crate::text::age_text(now - at)
        ),
        (Some(_), None) => "reading failed".into(),
        (None, Some(at)) if now - at > STALE_AFTER => {
            format!("data {} old", crate::text::age_text(now - at))
        }
        _ => String::new(),
    };
    let block = pane_block(state, Pane::Jobs, jobs.len(), &extra, t);
    let mut columns = vec![
        Column {
            title: "Name",
            width: jobs
                .iter()
                .map(|&i| state.jobs[i].name.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(4, 32) as u16,
            drop_rank: 0,
        },
        Column {
            title: "Schedule",
            width: 14,
            drop_rank: 2,
        },
        Column {
            title: "Next",
            width: 9,
            drop_rank: 1,
        },
        Column {
            title: "Last",
            width: 8,
            drop_rank: 0,
        },
        Column {
            title: "Recent",
            width: crate::trends::STRIP as u16,
            drop_rank: 2,
        },
        Column {
            title: "OK",
            width: 6,
            drop_rank: 3,
        },
        Column {
            title: "Err",
            width: 6,
            drop_rank: 3,
        },
        Column {
            title: "1h ok",
            width: 6,
            drop_rank: 1,
        },
        Column {
            title: "Late",
            width: 5,
            drop_rank: 3,
        },
        Column {
            title: "Run",
            width: 3,
            drop_rank: 0,
        },
    ];
    let height = area.height.saturating_sub(2) as usize;
    let selected = state.selected(Pane::Jobs, jobs.len());
    let (offset, end) = window(jobs.len(), selected, height);
    let rows = jobs[offset..end]
        .iter()
        .map(|&i| job_cells(&state.job_row(i), state.offset, now, held, t))
        .collect();
    let focused = state.ui.focus == Pane::Jobs;
    draw_table(
        frame,
        area,
        block,
        &mut columns,
        rows,
        offset,
        selected,
        focused,
        t,
    );
}

fn job_cells(
    j: &JobRow,
    offset: FixedOffset,
    now: DateTime<Utc>,
    held: bool,
    t: &Theme,
) -> (Vec<Cell<'static>>, Style) {
    let next = if j.disabled {
        "disabled".to_string()
    } else if held && j.next.is_some() {
        // Without a quorum nothing launches: a countdown would be a promise not kept.
        "held".to_string()
    } else {
        match j.next {
            // Past and not moved on: the read is old or the launch is late; no countdown.
            Some(n) if n < now => format!("{} ago", crate::text::age_text(now - n)),
            Some(n) if n - now < Duration::hours(1) => {
                format!(
                    "in {}",
                    crate::text::age_text((n - now).max(Duration::zero()))
                )
            }
            Some(n) if n - now < Duration::hours(24) => clock(n, offset),
            Some(n) => n.with_timezone(&offset).format("%m-%d").to_string(),
            None => "-".into(),
        }
    };
    let (last, last_style) = match j.last_status.as_str() {
        "success" => ("success", t.good()),
        "failed" => ("failed", t.bad()),
        "partially_failed" => ("partial", t.warn()),
        "" => ("-", Style::new()),
        other => (other, Style::new()),
    };
    let (hour, hour_style) = match j.hour {
        None => ("…".to_string(), t.dim()),
        Some(h) => match h.rate() {
            None => ("-".to_string(), Style::new()),
            Some(r) if r >= 99.95 => ("100%".to_string(), t.good()),
            Some(r) => (
                format!("{r:.0}%"),
                if r >= 90.0 { t.warn() } else { t.bad() },
            ),
        },
    };
    let cells = vec![
        Cell::from(j.name.clone()),
        Cell::from(j.schedule.clone()),
        Cell::from(next),
        Cell::from(Span::styled(last.to_string(), last_style)),
        Cell::from(format!("{:>w$}", j.recent, w = crate::trends::STRIP)),
        Cell::from(j.success_count.to_string()),
        Cell::from(j.error_count.to_string()),
        Cell::from(Span::styled(hour, hour_style)),
        Cell::from(Span::styled(late_text(j.late), late_style(j.late, t))),
        Cell::from(j.running.to_string()),
    ];
    let style = if j.disabled { t.dim() } else { Style::new() };
    (cells, style)
}

fn render_feed(frame: &mut Frame, area: Rect, state: &State, now: DateTime<Utc>, t: &Theme) {
    let feed = state.visible_feed();
    let block = pane_block(state, Pane::Executions, feed.len(), "", t);
    let mut columns = vec![
        Column {
            title: "Job",
            width: feed
                .iter()
                .map(|r| r.job.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(3, 32) as u16,
            drop_rank: 0,
        },
        Column {
            title: "Time",
            width: 8,
            drop_rank: 0,
        },
        Column {
            title: "Node",
            width: feed
                .iter()
                .map(|r| r.node.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(4, 16) as u16,
            drop_rank: 1,
        },
        Column {
            title: "Status",
            width: 8,
            drop_rank: 0,
        },
        Column {
            title: "Took",
            width: 5,
            drop_rank: 2,
        },
        Column {
            title: "Late",
            width: 5,
            drop_rank: 3,
        },
    ];
    let height = area.height.saturating_sub(2) as usize;
    let selected = state.selected(Pane::Executions, feed.len());
    let (offset, end) = window(feed.len(), selected, height);
    let rows = feed[offset..end]
        .iter()
        .map(|r| run_cells(r, state.offset, now, t))
        .collect();
    let focused = state.ui.focus == Pane::Executions;
    draw_table(
        frame,
        area,
        block,
        &mut columns,
        rows,
        offset,
        selected,
        focused,
        t,
    );
}

/// A launch lateness: `-` under a second (on time), else its length.
fn late_text(late: Duration) -> String {
    if late < Duration::seconds(1) {
        "-".into()
    } else {
        crate::text::age_text(late)
    }
}

fn late_style(late: Duration, t: &Theme) -> Style {
    if late >= crate::problems::LATE_AFTER {
        t.warn()
    } else {
        Style::new()
    }
}

fn run_style(status: ExecutionStatus, t: &Theme) -> Style {
    match status {
        ExecutionStatus::Success => t.good(),
        ExecutionStatus::Failed | ExecutionStatus::Missed => t.bad(),
        ExecutionStatus::Running => t.warn(),
    }
}

fn run_cells(
    r: &Run,
    offset: FixedOffset,
    now: DateTime<Utc>,
    t: &Theme,
) -> (Vec<Cell<'static>>, Style) {
    let took = match r.finished_at {
        Some(f) if r.status != ExecutionStatus::Missed => crate::text::age_text(f - r.started_at),
        None if r.status == ExecutionStatus::Running => crate::text::age_text(now - r.started_at),
        _ => "-".into(),
    };
    // Asked for here, not yet in the cluster's answers: shown at once, and said so.
    let (node, status) = if r.optimistic {
        ("asked…".to_string(), "starting")
    } else {
        (r.node.clone(), status_word(r.status))
    };
    let cells = vec![
        Cell::from(r.job.clone()),
        Cell::from(clock(r.when(), offset)),
        Cell::from(node),
        Cell::from(Span::styled(status, run_style(r.status, t))),
        Cell::from(took),
        {
            let late = crate::sort::launch_lateness(r).unwrap_or_default();
            Cell::from(Span::styled(late_text(late), late_style(late, t)))
        },
    ];
    (cells, Style::new())
}

fn render_events(frame: &mut Frame, area: Rect, state: &State, t: &Theme) {
    let events = state.visible_events();
    let block = pane_block(state, Pane::Events, events.len(), "", t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    let selected = state.selected(Pane::Events, events.len());
    let (offset, end) = window(events.len(), selected, height);
    let focused = state.ui.focus == Pane::Events && matches!(state.ui.overlay, Overlay::None);
    let lines: Vec<Line> = events[offset..end]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let line = Line::from(vec![
                Span::styled(clock(e.at, state.offset), t.dim()),
                Span::raw(" "),
                Span::styled(e.text.clone(), t.level(e.level)),
            ]);
            if focused && selected == Some(offset + i) {
                line.style(t.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The bottom line: the keys in force, from the binding table; or the filter being typed.
fn render_bar(frame: &mut Frame, area: Rect, state: &State, t: &Theme) {
    let scope = state.scope();
    let mut spans = Vec::new();
    if let Some(typing) = &state.ui.typing {
        spans.push(Span::styled(
            format!("filter {}: /", state.ui.focus.title()),
            t.strong(),
        ));
        spans.push(Span::raw(typing.text.clone()));
        spans.push(Span::styled("▏", t.key()));
        if let Some(e) = &typing.error {
            spans.push(Span::styled(format!("  {e}"), t.bad()));
        }
        spans.push(Span::raw("  "));
    }
    // What does not fit goes, from the end, except the keys to get help, quit or leave.
    let mut entries = help_bar(scope, state.read_only);
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let width = |es: &[crate::keys::BarEntry]| -> usize {
        es.iter()
            .map(|e| e.keys.chars().count() + 1 + e.what.chars().count() + 2)
            .sum::<usize>()
            .saturating_sub(2)
    };
    while used + width(&entries) > area.width as usize {
        let Some(last) = entries.iter().rposition(|e| !e.essential) else {
            break;
        };
        entries.remove(last);
    }
    for (i, e) in entries.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(e.keys, t.key()));
        spans.push(Span::raw(format!(" {}", e.what)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `width` × `height` in the middle of `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn popup<'a>(title: String, t: &Theme) -> Block<'a> {
    Block::bordered()
        .title(Span::styled(format!(" {title} "), t.title(true)))
        .border_style(t.strong())
}

/// Width of one column of the help screen.
const HELP_COLUMN: u16 = 39;

/// Every binding, by section, one line each.
pub fn help_lines(t: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, scopes) in crate::keys::HELP_SECTIONS {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(title, t.strong()));
        for b in BINDINGS.iter().filter(|b| scopes.contains(&b.scope)) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<7}", b.label), t.key()),
                Span::raw(format!(" {}", b.long)),
            ]));
        }
    }
    lines
}

/// The help screen: every binding, in as many columns as the width holds, scrolled by
/// `scroll` lines when they are still too many.
fn render_help(frame: &mut Frame, area: Rect, scroll: u16, t: &Theme) {
    let lines = help_lines(t);
    let columns = (area.width.saturating_sub(2) / HELP_COLUMN).max(1) as usize;
    let per_column = lines.len().div_ceil(columns);
    let inner_height = area.height.saturating_sub(2) as usize;
    let scrollable = per_column > inner_height;
    let box_area = centered(area, HELP_COLUMN * columns as u16 + 2, area.height);
    frame.render_widget(Clear, box_area);
    let title = if scrollable {
        "Keys (↑↓ for more)"
    } else {
        "Keys"
    };
    let block = popup(title.into(), t);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let max_scroll = per_column.saturating_sub(inner.height as usize) as u16;
    let areas = Layout::horizontal(vec![Constraint::Length(HELP_COLUMN); columns]).split(inner);
    for (c, chunk) in lines.chunks(per_column).enumerate() {
        frame.render_widget(
            Paragraph::new(chunk.to_vec()).scroll((scroll.min(max_scroll), 0)),
            areas[c],
        );
    }
}

fn render_problems(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    selected: usize,
    now: DateTime<Utc>,
    t: &Theme,
) {
    let problems = state.sorted_problems(now);
    frame.render_widget(Clear, area);
    let order = state
        .ui
        .problem_order
        .label()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let block = popup(format!("Problems ({}){order}", problems.len()), t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if problems.is_empty() {
        let text = "No problems: a quorum, every node alive and in step, no job failed, \
                    missed or launched late in the last hour.";
        frame.render_widget(
            Paragraph::new(Line::styled(text, t.good())).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let subject_w = problems
        .iter()
        .map(|p| p.subject_name().chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 24) as u16;
    let selected = selected.min(problems.len() - 1);
    let height = inner.height.saturating_sub(1) as usize;
    let (first, end) = window(problems.len(), Some(selected), height);
    let rows: Vec<Row> = problems[first..end]
        .iter()
        .map(|p| {
            let level = match p.level {
                Level::Bad => "error",
                _ => "warn",
            };
            Row::new(vec![
                Cell::from(Span::styled(level, t.level(p.level))),
                Cell::from(p.kind.word()),
                Cell::from(p.subject_name().to_string()),
                Cell::from(p.text.clone()),
            ])
        })
        .collect();
    let header = Row::new(vec!["Level", "What", "Subject", "Detail"])
        .style(t.strong().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Length(10),
            Constraint::Length(subject_w),
            Constraint::Min(10),
        ],
    )
    .header(header)
    .column_spacing(1)
    .row_highlight_style(t.selected());
    let mut table_state = TableState::default().with_selected(Some(selected - first));
    frame.render_stateful_widget(table, inner, &mut table_state);
}

/// The last hour, a character a minute: the cluster's runs, failures, launch lateness and
/// health, then each job's recent outcomes and its own runs, failures and lateness.
fn render_trends(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    selected: usize,
    now: DateTime<Utc>,
    t: &Theme,
) {
    use crate::trends::{MINUTES, STRIP, health_glyph, spark_text};
    frame.render_widget(Clear, area);
    let order = state
        .sort_of(Pane::Jobs)
        .label(Pane::Jobs)
        .map(|o| format!(", jobs {o}"))
        .unwrap_or_default();
    let block = popup(format!("Trends: the last hour, newest right{order}"), t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let label = 11usize;
    // The notes after the sparklines take up to 40 columns.
    let spark_w = MINUTES.min((inner.width as usize).saturating_sub(label + 40).max(10));
    let c = state.cluster_trend(now);
    let total = |v: &[u64]| v.iter().sum::<u64>();
    let worst_late = c.lateness_ms.iter().copied().max().unwrap_or(0);
    let row = |name: &str, spark: String, style: Style, note: String| {
        Line::from(vec![
            Span::styled(format!("{name:<label$}"), t.strong()),
            Span::styled(format!("{spark:>spark_w$}"), style),
            Span::styled(format!(" {note}"), t.dim()),
        ])
    };
    let health: String = {
        let minutes = state.health_timeline(now);
        // Folded to fit: each character the worst verdict of its minutes.
        let per = MINUTES.div_ceil(spark_w);
        let mut glyphs: Vec<char> = minutes
            .rchunks(per)
            .map(|c| {
                let worst = c.iter().flatten().copied().max_by_key(|q| match q {
                    Quorum::Ok => 0,
                    Quorum::AtRisk => 1,
                    Quorum::Unknown => 2,
                    Quorum::Lost => 3,
                });
                health_glyph(worst)
            })
            .collect();
        glyphs.reverse();
        glyphs.into_iter().collect()
    };
    let mut lines = vec![
        row(
            "Runs",
            spark_text(&c.runs, spark_w, false),
            t.good(),
            format!(
                "{} in the hour, at most {} a minute",
                total(&c.runs),
                c.runs.iter().max().unwrap_or(&0)
            ),
        ),
        row(
            "Failures",
            spark_text(&c.failures, spark_w, false),
            t.bad(),
            format!("{} in the hour", total(&c.failures)),
        ),
        row(
            "Lateness",
            spark_text(&c.lateness_ms, spark_w, true),
            t.warn(),
            format!(
                "worst launch {} late",
                crate::text::age_text(Duration::milliseconds(worst_late as i64))
            ),
        ),
        row(
            "Health",
            health,
            t.good(),
            "█ ok ▒ at risk × lost ? unknown".into(),
        ),
        Line::raw(""),
    ];
    let jobs = state.visible_job_indices();
    let name_w = jobs
        .iter()
        .map(|&i| state.jobs[i].name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 24);
    let job_spark = ((inner.width as usize).saturating_sub(name_w + STRIP + 10) / 3).clamp(4, 30);
    lines.push(Line::styled(
        format!(
            "{:<name_w$} {:<STRIP$} {:<job_spark$} {:<job_spark$} {:<job_spark$}",
            "Job", "Recent", "Runs", "Failures", "Lateness"
        ),
        t.strong().add_modifier(Modifier::UNDERLINED),
    ));
    let height = (inner.height as usize).saturating_sub(lines.len());
    let selected = state.selected_in(jobs.len(), selected);
    let (first, end) = window(jobs.len(), selected, height);
    for (k, &i) in jobs[first..end].iter().enumerate() {
        let name = &state.jobs[i].name;
        let s = state.job_trend(name, now);
        let line = Line::from(vec![
            Span::raw(format!("{name:<name_w$} ")),
            Span::raw(format!("{:>STRIP$} ", state.outcome_strip(name))),
            Span::styled(
                format!("{:>job_spark$} ", spark_text(&s.runs, job_spark, false)),
                t.good(),
            ),
            Span::styled(
                format!("{:>job_spark$} ", spark_text(&s.failures, job_spark, false)),
                t.bad(),
            ),
            Span::styled(
                format!(
                    "{:>job_spark$}",
                    spark_text(&s.lateness_ms, job_spark, true)
                ),
                t.warn(),
            ),
        ]);
        lines.push(if selected == Some(first + k) {
            line.style(t.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_confirm(frame: &mut Frame, area: Rect, question: &str, t: &Theme) {
    let box_area = centered(area, 60, 5);
    frame.render_widget(Clear, box_area);
    let block = popup("Confirm".into(), t);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    frame.render_widget(
        Paragraph::new(Line::styled(question.to_string(), t.strong())).wrap(Wrap { trim: true }),
        inner,
    );
}

fn field(name: &str, value: String, t: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<13}"), t.strong()),
        Span::raw(value),
    ])
}

fn render_details(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line<'static>>,
    scroll: u16,
    t: &Theme,
) {
    let box_area = area;
    frame.render_widget(Clear, box_area);
    let block = popup(title, t);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let max_scroll = (lines.len() as u16).saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(max_scroll), 0)),
        inner,
    );
}

fn render_job_details(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    view: &JobView,
    now: DateTime<Utc>,
    t: &Theme,
) {
    let o = state.offset;
    let name = view.name.as_str();
    let Some(job) = state.jobs.iter().find(|j| j.name == name) else {
        let lines = vec![Line::raw(format!("job {name} is gone"))];
        return render_details(frame, area, format!("Job {name}"), lines, 0, t);
    };
    frame.render_widget(Clear, area);
    let block = popup(format!("Job {name}"), t);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let when = |d: Option<DateTime<Utc>>| match d {
        Some(d) => format!("{} ({} ago)", clock(d, o), crate::text::age_text(now - d)),
        None => "never".into(),
    };
    let mut summary = Vec::new();
    let state_word = if job.disabled { "disabled" } else { "enabled" };
    let tz = if job.timezone.is_empty() {
        String::new()
    } else {
        format!(" ({})", job.timezone)
    };
    let next = if belfry_client::model::is_zero_time(&job.next) {
        "-".to_string()
    } else if state.launches_stopped() {
        format!("{} (held: no quorum)", clock(job.next, o))
    } else {
        format!(
            "{} (in {})",
            clock(job.next, o),
            crate::text::age_text((job.next - now).max(Duration::zero()))
        )
    };
    summary.push(field(
        "schedule",
        format!("{}{tz}, {state_word}; next {next}", job.schedule),
        t,
    ));
    let command = job
        .executor_config
        .get("command")
        .or_else(|| job.executor_config.get("url"))
        .cloned()
        .unwrap_or_default();
    let mut policy = format!(
        "concurrency {}, retries {}",
        if job.concurrency.is_empty() {
            "allow"
        } else {
            &job.concurrency
        },
        job.retries
    );
    if !job.owner.is_empty() {
        policy.push_str(&format!(", owner {}", job.owner));
    }
    summary.push(field(
        "executor",
        format!("{} {command}; {policy}", job.executor),
        t,
    ));
    summary.push(field(
        "last",
        format!(
            "success {}, error {}",
            when(job.last_success),
            when(job.last_error)
        ),
        t,
    ));
    let hour = state
        .hour_stats
        .get(name)
        .map(|h| match h.rate() {
            Some(r) => format!("{r:.0}% of {} in the last hour", h.success + h.failed),
            None => "nothing finished in the last hour".into(),
        })
        .unwrap_or_else(|| "…".into());
    summary.push(field(
        "counts",
        format!(
            "{} success, {} error; {hour}",
            job.success_count, job.error_count
        ),
        t,
    ));
    let trend = state.job_trend(name, now);
    let late = trend.lateness_ms.iter().copied().max().unwrap_or(0);
    summary.push(field(
        "recent",
        format!(
            "{:>w$}  runs/min {}  worst launch {} late",
            state.outcome_strip(name),
            crate::trends::spark_text(&trend.runs, 12, false),
            crate::text::age_text(Duration::milliseconds(late as i64)),
            w = crate::trends::STRIP
        ),
        t,
    ));
    if !job.tags.is_empty() {
        let tags: Vec<String> = job.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        summary.push(field("target tags", tags.join(", "), t));
    }
    if !job.parent_job.is_empty() || !job.dependent_jobs.is_empty() {
        summary.push(field(
            "chain",
            format!(
                "parent {}, dependents {}",
                if job.parent_job.is_empty() {
                    "-"
                } else {
                    &job.parent_job
                },
                if job.dependent_jobs.is_empty() {
                    "-".to_string()
                } else {
                    job.dependent_jobs.join(", ")
                }
            ),
            t,
        ));
    }
    let runs = match state
        .detail
        .as_ref()
        .filter(|d| d.job == name)
        .map(|d| &d.runs)
    {
        Some(Ok(runs)) => runs.as_slice(),
        Some(Err(e)) => {
            summary.push(Line::raw(""));
            summary.push(Line::styled(
                format!("Executions: cannot read them: {e}"),
                t.bad(),
            ));
            return frame.render_widget(Paragraph::new(summary), inner);
        }
        None => {
            summary.push(Line::raw(""));
            summary.push(Line::styled("Executions: reading…", t.dim()));
            return frame.render_widget(Paragraph::new(summary), inner);
        }
    };
    // The summary gives way first: the executions and the output are what is looked for.
    let room = inner.height as usize;
    summary.truncate(room.saturating_sub(8).max(1));
    let asked_n = state.optimistic.iter().filter(|r| r.job == name).count();
    let list_rows = (runs.len() + asked_n)
        .clamp(1, 6)
        .min(room.saturating_sub(summary.len() + 4).max(1));
    let [summary_area, list_title, list_area, out_title, out_area] = Layout::vertical([
        Constraint::Length(summary.len() as u16),
        Constraint::Length(1),
        Constraint::Length(list_rows as u16),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(summary), summary_area);
    frame.render_widget(
        Paragraph::new(Line::styled("Executions, newest first", t.strong())),
        list_title,
    );
    let picked = state.picked();
    let asked: Vec<Line> = state
        .optimistic
        .iter()
        .filter(|r| r.job == name)
        .map(|r| {
            Line::from(vec![
                Span::raw(format!("  {} ", clock(r.started_at, o))),
                Span::styled("starting", t.warn()),
                Span::styled(
                    " asked from here; not in the cluster's answers yet",
                    t.dim(),
                ),
            ])
        })
        .collect();
    if runs.is_empty() && asked.is_empty() {
        frame.render_widget(Paragraph::new("  none yet"), list_area);
    }
    let (first, end) = window(runs.len(), picked, list_rows.saturating_sub(asked_n).max(1));
    let list: Vec<Line> = runs[first..end]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let run = Run::from(e);
            let took = match run.finished_at {
                Some(f) => crate::text::age_text(f - run.started_at),
                None => "-".into(),
            };
            let exit = e.exit_code.map(|c| format!("exit {c}")).unwrap_or_default();
            let is_picked = picked == Some(first + i);
            let line = Line::from(vec![
                Span::raw(format!(
                    "{}{} ",
                    if is_picked { "▶ " } else { "  " },
                    clock(e.started_at, o)
                )),
                Span::styled(
                    format!("{:<8}", status_word(e.status)),
                    run_style(e.status, t),
                ),
                Span::raw(format!(
                    " {:<12} {:>6} attempt {} {exit}",
                    e.node_name, took, e.attempt
                )),
            ]);
            if is_picked {
                line.style(t.selected())
            } else {
                line
            }
        })
        .collect();
    let list: Vec<Line> = asked.into_iter().chain(list).take(list_rows).collect();
    frame.render_widget(Paragraph::new(list), list_area);
    let Some(e) = picked.map(|i| &runs[i]) else {
        let text = match view.pick {
            Pick::LastFailure => format!(
                "No failed execution among the newest {} read (last error {})",
                runs.len(),
                when(job.last_error)
            ),
            _ => "No execution picked".into(),
        };
        frame.render_widget(Paragraph::new(Line::styled(text, t.warn())), out_title);
        return;
    };
    // Long lines are folded so that scrolling counts screen lines.
    let width = (out_area.width as usize).saturating_sub(2).max(1);
    let mut out: Vec<String> = Vec::new();
    for l in e.output.lines() {
        let chars: Vec<char> = l.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(width) {
            out.push(chunk.iter().collect());
        }
    }
    let h = out_area.height as usize;
    let scroll = (view.out_scroll as usize).min(out.len().saturating_sub(h));
    let end = out.len() - scroll;
    let start = end.saturating_sub(h);
    let mut title = vec![Span::styled(
        format!("Output of {} on {}: ", clock(e.started_at, o), e.node_name),
        t.strong(),
    )];
    let mut outcome = status_word(e.status).to_string();
    if let Some(c) = e.exit_code {
        outcome.push_str(&format!(", exit {c}"));
    }
    if let Some(r) = &e.reason {
        outcome.push_str(&format!(", not run: {r}"));
    }
    title.push(Span::styled(outcome, run_style(e.status, t)));
    let place = if out.is_empty() {
        if e.is_running() {
            " (still running)".to_string()
        } else {
            " (no output)".to_string()
        }
    } else if out.len() <= h {
        String::new()
    } else if scroll == 0 {
        format!(" (end; lines {}-{} of {})", start + 1, end, out.len())
    } else {
        format!(" (lines {}-{} of {})", start + 1, end, out.len())
    };
    let cut = if e.output_truncated { " tail" } else { "" };
    title.push(Span::styled(format!("{cut}{place}"), t.dim()));
    frame.render_widget(Paragraph::new(Line::from(title)), out_title);
    let lines: Vec<Line> = out[start..end]
        .iter()
        .map(|l| Line::raw(format!("  {l}")))
        .collect();
    frame.render_widget(Paragraph::new(lines), out_area);
}

fn render_node_details(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    name: &str,
    scroll: u16,
    now: DateTime<Utc>,
    t: &Theme,
) {
    let rows = state.node_rows();
    let mut lines = Vec::new();
    let Some(n) = rows.iter().find(|r| r.name == name) else {
        lines.push(Line::raw(format!("node {name} is no longer known")));
        return render_details(frame, area, format!("Node {name}"), lines, scroll, t);
    };
    let status_style = if n.alive { t.good() } else { t.bad() };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<13}", "status"), t.strong()),
        Span::styled(format!("{}, {}", n.role.word(), n.status), status_style),
    ]));
    if !n.alive {
        lines.push(field("last seen", contact_text(n, now), t));
    }
    lines.push(field("gossip", n.gossip_addr.clone(), t));
    lines.push(field(
        "rpc / http",
        format!(
            "{} / {}",
            n.rpc_addr.as_deref().unwrap_or("-"),
            n.http_addr.as_deref().unwrap_or("-")
        ),
        t,
    ));
    lines.push(field("region / dc", format!("{} / {}", n.region, n.dc), t));
    lines.push(field("version", n.version.clone(), t));
    let tags = if n.tags.is_empty() {
        "none".into()
    } else {
        n.tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    lines.push(field("tags", tags, t));
    match &n.server {
        Some(s) => {
            let mut raft = vec![
                if s.voter { "voter" } else { "learner" }.to_string(),
                if s.healthy { "healthy" } else { "unhealthy" }.to_string(),
            ];
            if let Some(ms) = s.last_contact_ms {
                raft.push(format!("last contact {ms}ms"));
            }
            if let Some(lag) = s.log_lag {
                raft.push(format!("log lag {lag}"));
            }
            if let Some(since) = s.stable_since {
                raft.push(format!("{} since {}", n.status, clock(since, state.offset)));
            }
            lines.push(field("raft", raft.join(", "), t));
            let bound = state
                .cluster
                .as_ref()
                .and_then(|c| c.health.max_clock_offset_ms);
            let clock = match (s.clock_offset_ms, bound) {
                (None, _) => "offset not measured yet".to_string(),
                (Some(_), b) => format!(
                    "offset {} from the voters' median{}",
                    crate::problems::clock_text(s.clock_offset_ms, b),
                    b.map(|b| format!(" (bound ±{b}ms; ! beyond it)"))
                        .unwrap_or_default()
                ),
            };
            lines.push(field("clock", clock, t));
        }
        None => lines.push(field("raft", "not a Raft server".into(), t)),
    }
    let load = match (&n.stats, state.node_stats.get(name)) {
        (Some(Ok(s)), Some((at, _))) => format!(
            "cpu {} over {}, memory {}, data dir {} ({}), read {} ago",
            s.cpu_percent
                .map(|c| format!("{c:.1}%"))
                .unwrap_or_else(|| "-".into()),
            s.cpu_window_ms
                .map(|w| crate::text::age_text(Duration::milliseconds(w as i64)))
                .unwrap_or_else(|| "-".into()),
            s.rss_bytes.map(bytes_text).unwrap_or_else(|| "-".into()),
            s.data_dir_bytes
                .map(bytes_text)
                .unwrap_or_else(|| "-".into()),
            s.data_dir,
            crate::text::age_text(now - *at)
        ),
        (Some(Err(e)), _) => format!("cannot read: {e}"),
        _ => "not read yet".into(),
    };
    lines.push(field("load", load, t));
    let backlog = state.backlog_of(name);
    lines.push(field(
        "backlog",
        if backlog == 0 {
            "no launch waiting".into()
        } else {
            format!("{backlog} launches waiting for an execution slot")
        },
        t,
    ));
    let running: Vec<String> = state
        .cluster
        .iter()
        .flat_map(|c| c.running.iter().flatten())
        .filter(|e| e.node_name == name)
        .map(|e| e.job_name.clone())
        .collect();
    lines.push(field(
        "running now",
        if running.is_empty() {
            "nothing".into()
        } else {
            running.join(", ")
        },
        t,
    ));
    render_details(frame, area, format!("Node {name}"), lines, scroll, t);
}

/// `12:04:05` in the display offset.
fn clock(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%H:%M:%S").to_string()
}

/// `512B`, `40K`, `41M`, `1.2G`.
pub fn bytes_text(b: u64) -> String {
    const K: f64 = 1024.0;
    let f = b as f64;
    if f < K {
        format!("{b}B")
    } else if f < K * K {
        format!("{:.0}K", f / K)
    } else if f < K * K * K {
        format!("{:.0}M", f / K / K)
    } else {
        format!("{:.1}G", f / K / K / K)
    }
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::fixtures::{after_failover, healthy_state, now};
    use crate::state::Update;

    /// The input handling scrolls the help by `keys::help_line_count` lines; the view draws
    /// `help_lines`: they must agree, or the last lines cannot be scrolled to.
    #[test]
    fn the_help_scrolls_over_exactly_the_lines_drawn() {
        assert_eq!(
            help_lines(&Theme { color: false }).len(),
            crate::keys::help_line_count()
        );
    }

    const COLOR: Theme = Theme { color: true };

    fn draw(state: &State, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| render(frame, state, now(), theme))
            .unwrap();
        terminal
    }

    fn press(state: &mut State, code: KeyCode) -> Option<crate::state::Command> {
        state.handle_key(KeyEvent::new(code, KeyModifiers::NONE), now())
    }

    #[test]
    fn healthy_cluster_at_80x24() {
        insta::assert_snapshot!(draw(&healthy_state(), 80, 24, &COLOR).backend());
    }

    #[test]
    fn wide_terminal_shows_every_column() {
        let screen = draw(&healthy_state(), 160, 40, &COLOR)
            .backend()
            .to_string();
        assert!(screen.contains("Last hour (T)"), "{screen}");
        insta::assert_snapshot!(draw(&healthy_state(), 160, 40, &COLOR).backend());
    }

    #[test]
    fn narrow_terminal_keeps_the_essential_columns() {
        insta::assert_snapshot!(draw(&healthy_state(), 60, 20, &COLOR).backend());
    }

    #[test]
    fn leader_killed_new_leader_and_tolerance_zero() {
        let mut state = healthy_state();
        after_failover(&mut state);
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    #[test]
    fn no_server_answers() {
        let mut state = healthy_state();
        state.apply(Update::Unreachable {
            at: now() - Duration::seconds(4),
            reason: "127.0.0.1:8080: unreachable".into(),
        });
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    /// Two of three servers dead, the survivor still naming the dead leader, 48 columns: the
    /// header names no leader, the verdict is whole and says what it means for jobs, and
    /// the jobs show no countdown.
    #[test]
    fn narrow_width_with_no_quorum() {
        let mut state = healthy_state();
        crate::fixtures::quorum_lost(&mut state);
        let terminal = draw(&state, 48, 20, &COLOR);
        let screen = terminal.backend().to_string();
        assert!(!screen.contains("Leader node-a"), "{screen}");
        assert!(
            screen.contains("NO QUORUM: no launches; countdowns stopped"),
            "{screen}"
        );
        assert!(!screen.contains("in 20s"), "{screen}");
        insta::assert_snapshot!(terminal.backend());
    }

    /// The verdict is cut last: at 40 columns the numbers go first.
    #[test]
    fn the_verdict_is_the_last_thing_cut() {
        let state = healthy_state();
        for width in [40u16, 30] {
            let screen = draw(&state, width, 20, &COLOR).backend().to_string();
            assert!(
                screen.contains("OK: 1 server may fail"),
                "{width}: {screen}"
            );
        }
    }

    /// Jobs by status (the failed one first), nodes by status after the leader died.
    #[test]
    fn sorted_tables() {
        let mut state = healthy_state();
        after_failover(&mut state);
        press(&mut state, KeyCode::Char('s'));
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Char('s'));
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    /// p: everything that needs an operator, worst first.
    #[test]
    fn problems_view() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        press(&mut state, KeyCode::Char('p'));
        insta::assert_snapshot!(draw(&state, 100, 24, &COLOR).backend());
    }

    /// The clock offset of each server (! beyond the bound) and each node's launch backlog.
    #[test]
    fn nodes_show_clock_offset_and_backlog() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        insta::assert_snapshot!(draw(&state, 120, 24, &COLOR).backend());
    }

    /// After r and y: the run shows as starting at once, in the feed and the jobs' Run column.
    #[test]
    fn a_run_asked_for_shows_at_once() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Char('j'));
        press(&mut state, KeyCode::Char('r'));
        press(&mut state, KeyCode::Char('y'));
        let screen = draw(&state, 80, 24, &COLOR).backend().to_string();
        assert!(
            screen.contains("cleanup 12:00:00 asked…   starting 0ms"),
            "{screen}"
        );
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    /// T: the last hour a character a minute, for the cluster and per job.
    #[test]
    fn trends_view() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        press(&mut state, KeyCode::Char('T'));
        let terminal = draw(&state, 100, 24, &COLOR);
        let screen = terminal.backend().to_string();
        assert!(screen.contains("worst launch 45s late"), "{screen}");
        insta::assert_snapshot!(terminal.backend());
    }

    /// z: the focused pane takes the whole body.
    #[test]
    fn zoomed_pane() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Char('z'));
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    /// The mouse: a click focuses a pane and selects the row under it, a second click on
    /// it opens it; the wheel moves the selection of the pane under it.
    #[test]
    fn clicks_and_the_wheel_land_where_drawn() {
        let mut state = healthy_state();
        let size = Rect::new(0, 0, 80, 24);
        let screen = draw(&state, 80, 24, &COLOR).backend().to_string();
        // Find the screen line of the job "report" in the jobs pane.
        let y = screen
            .lines()
            .position(|l| l.starts_with("\"report  0 0"))
            .unwrap() as u16;
        assert_eq!(hit(&state, size, 3, y), Some((Pane::Jobs, Some(2))));
        assert_eq!(state.click(Pane::Jobs, Some(2), now()), None);
        assert_eq!(state.ui.focus, Pane::Jobs);
        assert_eq!(state.selected(Pane::Jobs, 3), Some(2));
        assert_eq!(
            state.click(Pane::Jobs, Some(2), now()),
            Some(crate::state::Command::WatchJob(Some(
                crate::state::Watch::job("report")
            )))
        );
        press(&mut state, KeyCode::Esc);
        // The wheel over the nodes pane focuses it and moves its selection.
        let (pane, _) = hit(&state, size, 3, 5).unwrap();
        assert_eq!(pane, Pane::Nodes);
        state.wheel(Some(pane), true, now());
        assert_eq!(state.ui.focus, Pane::Nodes);
        assert_eq!(state.selected(Pane::Nodes, 4), Some(1));
        // The header is nothing to click.
        assert_eq!(hit(&state, size, 3, 0), None);
        // Zoomed, the whole body is the focused pane.
        press(&mut state, KeyCode::Char('z'));
        assert_eq!(hit(&state, size, 3, 20).map(|h| h.0), Some(Pane::Nodes));
        // In the problems view, a click on the selected problem opens it; below the last
        // row there is nothing.
        press(&mut state, KeyCode::Char('z'));
        press(&mut state, KeyCode::Char('p'));
        let screen = draw(&state, 80, 24, &COLOR).backend().to_string();
        let y = screen.lines().position(|l| l.contains(" report ")).unwrap() as u16;
        let row = hit_overlay(&state, size, 10, y, now()).unwrap();
        assert_eq!(state.sorted_problems(now())[row].subject_name(), "report");
        assert_eq!(hit_overlay(&state, size, 10, y + 1, now()), None);
        assert!(matches!(
            state.click_overlay(row, now()),
            Some(crate::state::Command::WatchJob(Some(_)))
        ));
        press(&mut state, KeyCode::Esc);
        press(&mut state, KeyCode::Char('z'));
        // m gives the mouse back to the terminal, and takes it again.
        assert_eq!(
            press(&mut state, KeyCode::Char('m')),
            Some(crate::state::Command::Mouse(false))
        );
        assert_eq!(
            press(&mut state, KeyCode::Char('m')),
            Some(crate::state::Command::Mouse(true))
        );
    }

    #[test]
    fn job_details_with_executions_and_output() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Down);
        press(&mut state, KeyCode::Down);
        assert_eq!(
            press(&mut state, KeyCode::Enter),
            Some(crate::state::Command::WatchJob(Some(crate::state::Watch {
                job: "report".into(),
                execution: None,
                last_failure: false
            })))
        );
        use belfry_client::model::ExecutionStatus::*;
        state.apply(Update::JobDetail {
            at: now(),
            job: "report".into(),
            runs: Ok(vec![
                crate::fixtures::execution("report", "node-b", Running, 3),
                crate::fixtures::execution("report", "node-b", Failed, 100),
                crate::fixtures::execution("report", "node-b", Success, 1900),
            ]),
        });
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    /// `f` on a job: its last failure's output, at its end, where the error is.
    #[test]
    fn execution_output_of_the_last_failure() {
        use belfry_client::model::ExecutionStatus::*;
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Char('G'));
        press(&mut state, KeyCode::Char('f'));
        let mut failed = crate::fixtures::execution("report", "node-b", Failed, 100);
        failed.output = (1..=40)
            .map(|i| format!("step {i} done\n"))
            .chain(["Error: /var/lib/report: no space left on device\n".to_string()])
            .collect();
        state.apply(Update::JobDetail {
            at: now(),
            job: "report".into(),
            runs: Ok(vec![
                crate::fixtures::execution("report", "node-b", Running, 3),
                crate::fixtures::execution("report", "node-c", Success, 10),
                failed,
                crate::fixtures::execution("report", "node-b", Success, 1900),
            ]),
        });
        let terminal = draw(&state, 80, 24, &COLOR);
        let screen = terminal.backend().to_string();
        assert!(screen.contains("no space left on device"), "{screen}");
        insta::assert_snapshot!(terminal.backend());
        press(&mut state, KeyCode::PageUp);
        insta::assert_snapshot!(
            "execution_output_scrolled_up",
            draw(&state, 80, 24, &COLOR).backend()
        );
    }

    #[test]
    fn node_details_with_tags_and_health() {
        let mut state = healthy_state();
        for _ in 0..3 {
            press(&mut state, KeyCode::Char('j'));
        }
        press(&mut state, KeyCode::Enter);
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
    }

    #[test]
    fn help_screen_lists_every_key() {
        let mut state = healthy_state();
        press(&mut state, KeyCode::Char('?'));
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
        // Wide and tall enough, every binding is on screen at once.
        let screen = draw(&state, 160, 50, &COLOR).backend().to_string();
        for b in BINDINGS {
            assert!(screen.contains(b.long), "{:?} missing:\n{screen}", b.long);
        }
        // At 80 × 24 they are all reached by scrolling.
        for _ in 0..60 {
            press(&mut state, KeyCode::Char('j'));
        }
        let screen = draw(&state, 80, 24, &COLOR).backend().to_string();
        assert!(screen.contains("Change nothing"), "{screen}");
        assert!(matches!(state.ui.overlay, Overlay::Help { .. }));
    }

    #[test]
    fn demoting_asks_first() {
        let mut state = healthy_state();
        assert_eq!(press(&mut state, KeyCode::Char('d')), None);
        insta::assert_snapshot!(draw(&state, 80, 24, &COLOR).backend());
        assert_eq!(
            press(&mut state, KeyCode::Char('y')),
            Some(crate::state::Command::Demote("node-a".into()))
        );
    }

    #[test]
    fn filter_and_read_only() {
        let mut state = healthy_state();
        state.read_only = true;
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Char('/'));
        for c in "rep|clean".chars() {
            press(&mut state, KeyCode::Char(c));
        }
        insta::assert_snapshot!("filter_being_typed", draw(&state, 80, 24, &COLOR).backend());
        press(&mut state, KeyCode::Enter);
        // Read-only: r asks nothing and says why.
        assert_eq!(press(&mut state, KeyCode::Char('r')), None);
        insta::assert_snapshot!(
            "filter_applied_read_only",
            draw(&state, 80, 24, &COLOR).backend()
        );
    }

    #[test]
    fn without_color_the_words_carry_the_meaning() {
        let mut state = healthy_state();
        after_failover(&mut state);
        let colored = draw(&state, 80, 24, &COLOR);
        let plain = draw(&state, 80, 24, &Theme { color: false });
        // The same text either way.
        assert_eq!(colored.backend().to_string(), plain.backend().to_string());
        let buffer = plain.backend().buffer();
        let no_colors = buffer
            .content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset);
        assert!(no_colors, "a colour was drawn without colour");
        let buffer = colored.backend().buffer();
        assert!(buffer.content.iter().any(|c| c.fg == Color::Yellow));
    }

    /// No view panics, whatever the terminal's size: a panic would take the dashboard down
    /// in the middle of an incident.
    #[test]
    fn every_view_draws_at_any_size() {
        use belfry_client::model::ExecutionStatus::*;
        let mut base = healthy_state();
        crate::fixtures::troubled(&mut base);
        let mut views: Vec<State> = Vec::new();
        let keys: &[&[KeyCode]] = &[
            &[],
            &[KeyCode::Char('z')],
            &[KeyCode::Char('?')],
            &[KeyCode::Char('p')],
            &[KeyCode::Char('T')],
            &[KeyCode::Enter],
            &[KeyCode::Char('d')],
            &[KeyCode::Char('/'), KeyCode::Char('(')],
            &[KeyCode::Tab, KeyCode::Char('f')],
            &[KeyCode::Tab, KeyCode::Char('r'), KeyCode::Char('y')],
        ];
        for ks in keys {
            let mut state = base.clone();
            for k in *ks {
                press(&mut state, *k);
            }
            views.push(state);
        }
        // A job's details with a long, wide output.
        let mut details = base.clone();
        details.ui.focus = Pane::Jobs;
        press(&mut details, KeyCode::Char('G'));
        press(&mut details, KeyCode::Char('f'));
        let mut failed = crate::fixtures::execution("report", "node-b", Failed, 100);
        failed.output = format!("{}\n", "é".repeat(500)).repeat(50);
        details.apply(Update::JobDetail {
            at: now(),
            job: "report".into(),
            runs: Ok(vec![failed]),
        });
        views.push(details);
        for state in &views {
            for (w, h) in [
                (1, 1),
                (5, 3),
                (12, 6),
                (30, 9),
                (48, 14),
                (80, 24),
                (250, 70),
            ] {
                draw(state, w, h, &COLOR);
            }
        }
    }

    /// A next run already past (an old read, or a late launch) is not a countdown at 0.
    #[test]
    fn a_next_run_in_the_past_shows_no_countdown() {
        let mut state = healthy_state();
        state.jobs[0].next = now() - Duration::seconds(12);
        let screen = draw(&state, 80, 24, &COLOR).backend().to_string();
        let backup = screen.lines().find(|l| l.starts_with("\"backup ")).unwrap();
        assert!(backup.contains("12s ago"), "{backup}");
        assert!(!backup.contains("in 0ms"), "{backup}");
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(crate::text::age_text(Duration::milliseconds(350)), "350ms");
        assert_eq!(crate::text::age_text(Duration::milliseconds(4200)), "4.2s");
        assert_eq!(crate::text::age_text(Duration::seconds(37)), "37s");
        assert_eq!(
            crate::text::age_text(Duration::seconds(3 * 3600 + 300)),
            "3h05m"
        );
        assert_eq!(bytes_text(512), "512B");
        assert_eq!(bytes_text(41 << 20), "41M");
        assert_eq!(bytes_text(3 << 29), "1.5G");
    }
}
