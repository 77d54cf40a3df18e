//! Every key the dashboard answers to, in one table: key dispatch and the help bar and help
//! screen are all computed from [`BINDINGS`], so what the screen says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    Details,
    /// A job's newest failed or missed execution, with its output.
    LastFailure,
    /// The problems view, from anywhere.
    Problems,
    /// The trends view.
    Trends,
    /// The focused pane fills the body, or no longer.
    Zoom,
    /// Mouse capture on or off.
    Mouse,
    /// The focused pane's next sort key.
    Sort,
    /// The focused pane's order, the other way.
    Reverse,
    RunJob,
    ToggleJob,
    Demote,
    /// Leaves an overlay (details, help) or clears a filter.
    Back,
    Confirm,
    Cancel,
}

impl Action {
    /// Changes the cluster: needs a confirmation, and `--read-only` disables it.
    pub fn is_destructive(self) -> bool {
        matches!(self, Action::RunJob | Action::ToggleJob | Action::Demote)
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The main screen, whatever pane has the focus.
    Main,
    /// The main screen with this pane focused.
    Pane(Pane),
    /// A details overlay, whatever it shows.
    Details,
    /// A job's details.
    JobDetails,
    /// A node's details.
    NodeDetails,
    /// The help screen.
    Help,
    /// The problems view.
    Problems,
    /// The trends view.
    Trends,
    /// A confirmation question.
    Confirm,
    /// Typing a filter (every other key is text).
    Filter,
}

/// A key: its code, and whether Ctrl is held. Shift is part of the character itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

/// One line of the binding table.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written on screen.
    pub label: &'static str,
    pub action: Action,
    pub scope: Scope,
    /// A word or two for the help bar.
    pub short: &'static str,
    /// What it does, for the help screen (short: the screen has two columns at 80).
    pub long: &'static str,
    /// How the help bar writes the keys; `None`: only on the help screen, so the bar fits
    /// 80 columns.
    pub bar: Option<&'static str>,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Confirm,
        scope: Scope::Filter,
        short: "apply",
        long: "Keep the filter",
        bar: Some("enter"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        label: "esc",
        action: Action::Cancel,
        scope: Scope::Filter,
        short: "cancel",
        long: "Back to the filter before",
        bar: Some("esc"),
    },
    Binding {
        keys: &[ch('y'), key(KeyCode::Enter)],
        label: "y",
        action: Action::Confirm,
        scope: Scope::Confirm,
        short: "yes",
        long: "Do it",
        bar: Some("y"),
    },
    Binding {
        keys: &[ch('n'), key(KeyCode::Esc), ch('q')],
        label: "n/esc",
        action: Action::Cancel,
        scope: Scope::Confirm,
        short: "no",
        long: "Change nothing",
        bar: Some("n/esc"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Details,
        scope: Scope::Problems,
        short: "open",
        long: "Open it (a failed job: why)",
        bar: Some("enter"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::Problems,
        short: "move",
        long: "Row above",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::Problems,
        short: "move",
        long: "Row below",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Esc), ch('q'), ch('p')],
        label: "esc",
        action: Action::Back,
        scope: Scope::Problems,
        short: "close",
        long: "Back to the panes",
        bar: Some("esc"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Details,
        scope: Scope::Trends,
        short: "job",
        long: "The job's details",
        bar: Some("enter"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::Trends,
        short: "move",
        long: "Job above",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::Trends,
        short: "move",
        long: "Job below",
        bar: None,
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::Problems,
        scope: Scope::Trends,
        short: "problems",
        long: "Problems view",
        bar: Some("p"),
    },
    Binding {
        keys: &[key(KeyCode::Esc), ch('q'), ch('T')],
        label: "esc",
        action: Action::Back,
        scope: Scope::Trends,
        short: "close",
        long: "Back to the panes",
        bar: Some("esc"),
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        action: Action::Sort,
        scope: Scope::Problems,
        short: "sort",
        long: "Sort: severity, kind, subject",
        bar: Some("s/S"),
    },
    Binding {
        keys: &[ch('S')],
        label: "S",
        action: Action::Reverse,
        scope: Scope::Problems,
        short: "reverse",
        long: "Reverse the order",
        bar: None,
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        action: Action::Sort,
        scope: Scope::Trends,
        short: "sort",
        long: "Sort the jobs (as the pane)",
        bar: Some("s/S"),
    },
    Binding {
        keys: &[ch('S')],
        label: "S",
        action: Action::Reverse,
        scope: Scope::Trends,
        short: "reverse",
        long: "Reverse the order",
        bar: None,
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::Problems,
        scope: Scope::Details,
        short: "problems",
        long: "Problems view",
        bar: Some("p"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::Help,
        short: "scroll",
        long: "Scroll up",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::Help,
        short: "scroll",
        long: "Scroll down",
        bar: None,
    },
    Binding {
        keys: &[ch('?'), key(KeyCode::Esc), ch('q'), key(KeyCode::Enter)],
        label: "esc",
        action: Action::Back,
        scope: Scope::Help,
        short: "close",
        long: "Close this screen",
        bar: Some("esc"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::JobDetails,
        short: "pick run",
        long: "Newer execution",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::JobDetails,
        short: "pick run",
        long: "Older execution",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        label: "pgup",
        action: Action::PageUp,
        scope: Scope::JobDetails,
        short: "output",
        long: "Output: page up",
        bar: Some("pgup/dn"),
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        label: "pgdn",
        action: Action::PageDown,
        scope: Scope::JobDetails,
        short: "output",
        long: "Output: page down",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Home), ch('g')],
        label: "g",
        action: Action::Top,
        scope: Scope::JobDetails,
        short: "start",
        long: "Output: its start",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::End), ch('G')],
        label: "G",
        action: Action::Bottom,
        scope: Scope::JobDetails,
        short: "end",
        long: "Output: its end",
        bar: None,
    },
    Binding {
        keys: &[ch('f')],
        label: "f",
        action: Action::LastFailure,
        scope: Scope::JobDetails,
        short: "last failure",
        long: "Its last failure",
        bar: Some("f"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::NodeDetails,
        short: "scroll",
        long: "Scroll up",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::NodeDetails,
        short: "scroll",
        long: "Scroll down",
        bar: None,
    },
    Binding {
        keys: &[ch('r')],
        label: "r",
        action: Action::RunJob,
        scope: Scope::JobDetails,
        short: "run",
        long: "Run this job (asks)",
        bar: Some("r"),
    },
    Binding {
        keys: &[ch('t')],
        label: "t",
        action: Action::ToggleJob,
        scope: Scope::JobDetails,
        short: "toggle",
        long: "Enable/disable it (asks)",
        bar: Some("t"),
    },
    Binding {
        keys: &[ch('d')],
        label: "d",
        action: Action::Demote,
        scope: Scope::NodeDetails,
        short: "demote",
        long: "Demote this server (asks)",
        bar: Some("d"),
    },
    Binding {
        keys: &[key(KeyCode::Esc), ch('q'), key(KeyCode::Enter)],
        label: "esc",
        action: Action::Back,
        scope: Scope::Details,
        short: "close",
        long: "Close the details",
        bar: Some("esc"),
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::Problems,
        scope: Scope::Main,
        short: "problems",
        long: "Problems view",
        bar: Some("p"),
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        action: Action::Filter,
        scope: Scope::Main,
        short: "filter",
        long: "Filter rows (regex)",
        bar: Some("/"),
    },
    Binding {
        keys: &[ch('s')],
        label: "s",
        action: Action::Sort,
        scope: Scope::Main,
        short: "sort",
        long: "Sort by the next column",
        bar: Some("s/S"),
    },
    Binding {
        keys: &[ch('S')],
        label: "S",
        action: Action::Reverse,
        scope: Scope::Main,
        short: "reverse",
        long: "Reverse the order",
        bar: None,
    },
    Binding {
        keys: &[ch('T')],
        label: "T",
        action: Action::Trends,
        scope: Scope::Main,
        short: "trends",
        long: "Trends of the last hour",
        bar: Some("T"),
    },
    Binding {
        keys: &[ch('z')],
        label: "z",
        action: Action::Zoom,
        scope: Scope::Main,
        short: "zoom",
        long: "Zoom the pane, or unzoom",
        bar: Some("z"),
    },
    Binding {
        keys: &[ch('m')],
        label: "m",
        action: Action::Mouse,
        scope: Scope::Main,
        short: "mouse",
        long: "Mouse on/off (off: copy text)",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Tab)],
        label: "tab",
        action: Action::NextPane,
        scope: Scope::Main,
        short: "pane",
        long: "Next pane",
        bar: Some("tab"),
    },
    Binding {
        keys: &[key(KeyCode::BackTab)],
        label: "S-tab",
        action: Action::PrevPane,
        scope: Scope::Main,
        short: "back",
        long: "Previous pane",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        label: "↑/k",
        action: Action::Up,
        scope: Scope::Main,
        short: "move",
        long: "Row above",
        bar: Some("↑↓/jk"),
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        label: "↓/j",
        action: Action::Down,
        scope: Scope::Main,
        short: "move",
        long: "Row below",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        label: "pgup",
        action: Action::PageUp,
        scope: Scope::Main,
        short: "page up",
        long: "Page up",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        label: "pgdn",
        action: Action::PageDown,
        scope: Scope::Main,
        short: "page down",
        long: "Page down",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Home), ch('g')],
        label: "g",
        action: Action::Top,
        scope: Scope::Main,
        short: "top",
        long: "First row",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::End), ch('G')],
        label: "G",
        action: Action::Bottom,
        scope: Scope::Main,
        short: "bottom",
        long: "Last row",
        bar: None,
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Details,
        scope: Scope::Pane(Pane::Nodes),
        short: "details",
        long: "Tags, health, load",
        bar: Some("enter"),
    },
    Binding {
        keys: &[ch('d')],
        label: "d",
        action: Action::Demote,
        scope: Scope::Pane(Pane::Nodes),
        short: "demote",
        long: "Demote server (asks)",
        bar: Some("d"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Details,
        scope: Scope::Pane(Pane::Jobs),
        short: "details",
        long: "Executions and output",
        bar: Some("enter"),
    },
    Binding {
        keys: &[ch('f')],
        label: "f",
        action: Action::LastFailure,
        scope: Scope::Pane(Pane::Jobs),
        short: "last failure",
        long: "Its last failure's output",
        bar: Some("f"),
    },
    Binding {
        keys: &[ch('r')],
        label: "r",
        action: Action::RunJob,
        scope: Scope::Pane(Pane::Jobs),
        short: "run",
        long: "Run now (asks)",
        bar: Some("r"),
    },
    Binding {
        keys: &[ch('t')],
        label: "t",
        action: Action::ToggleJob,
        scope: Scope::Pane(Pane::Jobs),
        short: "toggle",
        long: "Enable/disable (asks)",
        bar: Some("t"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "enter",
        action: Action::Details,
        scope: Scope::Pane(Pane::Executions),
        short: "output",
        long: "This execution's output",
        bar: Some("enter"),
    },
    Binding {
        keys: &[ch('f')],
        label: "f",
        action: Action::LastFailure,
        scope: Scope::Pane(Pane::Executions),
        short: "last failure",
        long: "Its job's last failure",
        bar: Some("f"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        label: "esc",
        action: Action::Back,
        scope: Scope::Main,
        short: "clear",
        long: "Clear the filter",
        bar: None,
    },
    Binding {
        keys: &[ch('?')],
        label: "?",
        action: Action::Help,
        scope: Scope::Main,
        short: "help",
        long: "This help",
        bar: Some("?"),
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        label: "q",
        action: Action::Quit,
        scope: Scope::Main,
        short: "quit",
        long: "Quit",
        bar: Some("q"),
    },
];

impl Key {
    fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        self.code == event.code && self.ctrl == ctrl
    }
}

/// The scopes in force, most specific first.
fn scopes(scope: Scope) -> Vec<Scope> {
    match scope {
        Scope::Pane(p) => vec![Scope::Pane(p), Scope::Main],
        Scope::JobDetails => vec![Scope::JobDetails, Scope::Details],
        Scope::NodeDetails => vec![Scope::NodeDetails, Scope::Details],
        other => vec![other],
    }
}

/// The bindings in force in `scope`, most specific first, without the destructive ones when
/// `read_only`.
pub fn bindings(scope: Scope, read_only: bool) -> impl Iterator<Item = &'static Binding> {
    scopes(scope).into_iter().flat_map(move |s| {
        BINDINGS
            .iter()
            .filter(move |b| b.scope == s && !(read_only && b.action.is_destructive()))
    })
}

/// The action `event` asks for in `scope`. Destructive keys still resolve when `read_only`,
/// so the dashboard can say why nothing happens.
pub fn action_for(event: &KeyEvent, scope: Scope) -> Option<Action> {
    bindings(scope, false)
        .find(|b| b.keys.iter().any(|k| k.matches(event)))
        .map(|b| b.action)
}

/// One entry of the help bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarEntry {
    pub keys: &'static str,
    pub what: &'static str,
    /// Kept however narrow the screen: how to get help, quit, leave or answer.
    pub essential: bool,
}

/// The help bar: the bindings in force, one entry per action, most specific first.
pub fn help_bar(scope: Scope, read_only: bool) -> Vec<BarEntry> {
    bindings(scope, read_only)
        .filter_map(|b| {
            b.bar.map(|keys| BarEntry {
                keys,
                what: b.short,
                essential: matches!(
                    b.action,
                    Action::Help | Action::Quit | Action::Back | Action::Confirm | Action::Cancel
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_resolve_by_scope() {
        let jobs = Scope::Pane(Pane::Jobs);
        assert_eq!(
            action_for(&press(KeyCode::Char('r')), jobs),
            Some(Action::RunJob)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('r')), Scope::Pane(Pane::Nodes)),
            None
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('d')), Scope::Pane(Pane::Nodes)),
            Some(Action::Demote)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('j')), jobs),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(&press(KeyCode::BackTab), jobs),
            Some(Action::PrevPane)
        );
        // '?' arrives with Shift on most terminals.
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&question, jobs), Some(Action::Help));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, jobs), Some(Action::Quit));
        assert_eq!(
            action_for(&press(KeyCode::Char('q')), Scope::JobDetails),
            Some(Action::Back)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('r')), Scope::JobDetails),
            Some(Action::RunJob)
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('r')), Scope::NodeDetails),
            None
        );
        assert_eq!(
            action_for(&press(KeyCode::Char('y')), Scope::Confirm),
            Some(Action::Confirm)
        );
    }

    #[test]
    fn the_help_bar_follows_the_focus_and_read_only() {
        let pairs = |scope, read_only| -> Vec<(&str, &str)> {
            help_bar(scope, read_only)
                .into_iter()
                .map(|e| (e.keys, e.what))
                .collect()
        };
        let jobs = pairs(Scope::Pane(Pane::Jobs), false);
        assert!(jobs.contains(&("r", "run")) && jobs.contains(&("t", "toggle")));
        assert!(!jobs.iter().any(|(k, _)| *k == "d"));
        let nodes = pairs(Scope::Pane(Pane::Nodes), false);
        assert!(nodes.contains(&("d", "demote")));
        let read_only = pairs(Scope::Pane(Pane::Jobs), true);
        assert!(!read_only.iter().any(|(k, _)| *k == "r" || *k == "t"));
        assert!(read_only.contains(&("q", "quit")));
    }
}

/// The panes, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Nodes,
    Jobs,
    Executions,
    Events,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Nodes, Pane::Jobs, Pane::Executions, Pane::Events];

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub(crate) fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub(crate) fn prev(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Nodes => "Nodes",
            Pane::Jobs => "Jobs",
            Pane::Executions => "Executions",
            Pane::Events => "Events",
        }
    }
}

/// The help screen's sections, in order.
pub const HELP_SECTIONS: [(&str, &[Scope]); 10] = [
    ("Everywhere", &[Scope::Main]),
    ("Nodes", &[Scope::Pane(Pane::Nodes)]),
    ("Jobs", &[Scope::Pane(Pane::Jobs)]),
    ("Executions", &[Scope::Pane(Pane::Executions)]),
    (
        "Details",
        &[Scope::JobDetails, Scope::NodeDetails, Scope::Details],
    ),
    ("Problems", &[Scope::Problems]),
    ("Trends", &[Scope::Trends]),
    ("Typing a filter", &[Scope::Filter]),
    ("Asked to confirm", &[Scope::Confirm]),
    ("This help", &[Scope::Help]),
];

/// How many lines the help screen has: each section's title and bindings, a blank line
/// between sections (the view draws them; the input handling scrolls them).
pub fn help_line_count() -> usize {
    HELP_SECTIONS
        .iter()
        .map(|(_, scopes)| {
            1 + BINDINGS
                .iter()
                .filter(|b| scopes.contains(&b.scope))
                .count()
        })
        .sum::<usize>()
        + HELP_SECTIONS.len().saturating_sub(1)
}
