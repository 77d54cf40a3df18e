//! `belfry top`, the live dashboard: a client of the HTTP API through the client crate
//! (`belfry_client`) and nothing more: it never compiles the engine.
//!
//! - [`state`]: what is known, updated from API reads and key presses (no I/O);
//! - [`view`]: the state drawn onto a frame (pure);
//! - [`keys`]: the one table of key bindings, from which the help bar is computed;
//! - [`fetch`]: the background polling, with a timeout per request and failover;
//! - here: the terminal, set up and always restored (on quit, panic, SIGTERM, SIGHUP, or a
//!   terminal that went away), and the loop that joins them.

pub mod fetch;
pub mod keys;
pub mod problems;
pub mod sort;
pub mod state;
pub mod text;
pub mod trends;
pub mod view;

#[cfg(test)]
mod fixtures;

use std::io::{IsTerminal, Stdout};
use std::time::Duration;

use chrono::{Offset, Utc};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::{cursor, execute, terminal};
use tokio::sync::mpsc;

use crate::fetch::{FetchOptions, Fetcher};
use crate::state::{Command, State};
use crate::view::Theme;

/// The shortest time between two redraws caused by data.
const MIN_FRAME: Duration = Duration::from_millis(200);

/// How `belfry top` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The API to start from (`host:port` or a URL).
    pub addr: String,
    /// Bearer token, when the API needs one.
    pub token: Option<String>,
    /// Pace of the cluster reads.
    pub refresh: Duration,
    /// Limit on each request.
    pub timeout: Duration,
    /// No runs, toggles or demotions.
    pub read_only: bool,
    /// Colours (off for `--no-color` and `NO_COLOR`).
    pub color: bool,
}

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
pub enum TopError {
    #[error("belfry top needs a terminal: run it in one, not with its output redirected")]
    NotATerminal,
    #[error(transparent)]
    Client(#[from] belfry_client::ClientError),
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// `NO_COLOR` set to anything but the empty string turns colours off (no-color.org).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the dashboard until the user quits or a signal ends it; the terminal is restored in
/// every case.
pub fn run(options: Options) -> Result<(), TopError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(TopError::NotATerminal);
    }
    // A bad address is reported before the screen is taken over.
    belfry_client::Client::new(&options.addr)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    install_panic_hook();
    let mut terminal = enter()?;
    let result = runtime.block_on(main_loop(&mut terminal, &options));
    leave();
    drop(runtime);
    result
}

/// Raw mode and the alternate screen.
fn enter() -> std::io::Result<Terminal<CrosstermBackend<Stdout>>> {
    terminal::enable_raw_mode()?;
    let mut stdout = std::io::stdout();
    if let Err(e) = execute!(
        stdout,
        terminal::EnterAlternateScreen,
        cursor::Hide,
        EnableMouseCapture
    ) {
        leave();
        return Err(e);
    }
    Terminal::new(CrosstermBackend::new(stdout))
}

/// How many times the terminal was given back (observable by tests).
static LEFT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Takes the mouse (clicks and wheel come to the dashboard), or gives it back to the
/// terminal (whose own text selection then works, to copy an error).
fn set_mouse(on: bool) {
    let _ = if on {
        execute!(std::io::stdout(), EnableMouseCapture)
    } else {
        execute!(std::io::stdout(), DisableMouseCapture)
    };
}

/// Gives the terminal back as it was. Safe to call more than once.
fn leave() {
    LEFT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// A panic restores the terminal before its message is printed, so the message is readable
/// and the shell usable.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}

/// What the input thread reports.
enum Input {
    Event(Event),
    /// The terminal went away (hang-up, closed pty).
    Lost,
}

/// Reads the terminal on a thread of its own: a blocking read never holds up the screen.
fn spawn_input() -> mpsc::UnboundedReceiver<Input> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("belfry-top-input".into())
        .spawn(move || {
            loop {
                match event::read() {
                    Ok(ev) => {
                        if tx.send(Input::Event(ev)).is_err() {
                            return;
                        }
                    }
                    Err(_) => {
                        let _ = tx.send(Input::Lost);
                        return;
                    }
                }
            }
        })
        .expect("spawn the input thread");
    rx
}

async fn main_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    options: &Options,
) -> Result<(), TopError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let (tx, mut updates) = mpsc::unbounded_channel();
    let fetcher = Fetcher::start(
        &FetchOptions {
            addr: options.addr.clone(),
            token: options.token.clone(),
            refresh: options.refresh,
            timeout: options.timeout,
        },
        tx,
    )?;
    let mut inputs = spawn_input();
    let offset = chrono::Local::now().offset().fix();
    let mut state = State::new(&options.addr, Utc::now(), offset, options.read_only);
    let theme = Theme {
        color: options.color,
    };
    // Ages on screen move even when nothing else does.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    // Data redraws at most every MIN_FRAME (several reads land close together); a key redraws
    // at once.
    let mut dirty = true;
    let mut last_draw = tokio::time::Instant::now() - MIN_FRAME;
    loop {
        if dirty && last_draw.elapsed() >= MIN_FRAME {
            terminal.draw(|frame| view::render(frame, &state, Utc::now(), &theme))?;
            last_draw = tokio::time::Instant::now();
            dirty = false;
        }
        tokio::select! {
            Some(update) = updates.recv() => {
                if let Some(command) = state.apply(update) {
                    fetcher.command(command);
                }
                while let Ok(more) = updates.try_recv() {
                    if let Some(command) = state.apply(more) {
                        fetcher.command(command);
                    }
                }
                dirty = true;
            }
            input = inputs.recv() => match input {
                Some(Input::Event(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                    match state.handle_key(key, Utc::now()) {
                        Some(Command::Quit) => break,
                        Some(Command::Mouse(on)) => set_mouse(on),
                        Some(command) => fetcher.command(command),
                        None => {}
                    }
                    dirty = true;
                    last_draw = tokio::time::Instant::now() - MIN_FRAME;
                }
                Some(Input::Event(Event::Mouse(mouse))) if state.ui.mouse => {
                    let size = terminal.size()?;
                    let size = ratatui::layout::Rect::new(0, 0, size.width, size.height);
                    let under = view::hit(&state, size, mouse.column, mouse.row);
                    let now = Utc::now();
                    let command = match mouse.kind {
                        MouseEventKind::Down(MouseButton::Left) => {
                            match (view::hit_overlay(&state, size, mouse.column, mouse.row, now), under) {
                                (Some(row), _) => state.click_overlay(row, now),
                                (None, Some((pane, row))) => state.click(pane, row, now),
                                (None, None) => None,
                            }
                        }
                        MouseEventKind::ScrollDown => state.wheel(under.map(|u| u.0), true, now),
                        MouseEventKind::ScrollUp => state.wheel(under.map(|u| u.0), false, now),
                        _ => continue,
                    };
                    if let Some(command) = command {
                        fetcher.command(command);
                    }
                    dirty = true;
                    last_draw = tokio::time::Instant::now() - MIN_FRAME;
                }
                // A resize: drawn at once, at the new size.
                Some(Input::Event(Event::Resize(..))) => {
                    dirty = true;
                    last_draw = tokio::time::Instant::now() - MIN_FRAME;
                }
                Some(Input::Event(_)) => {}
                Some(Input::Lost) | None => break,
            },
            _ = tokio::time::sleep_until(last_draw + MIN_FRAME), if dirty => {}
            _ = clock.tick() => dirty = true,
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod panic_tests {
    use std::sync::atomic::Ordering;

    /// A panic anywhere in the dashboard gives the terminal back before the message prints:
    /// the hook calls the same `leave` that the quit and SIGTERM paths use (and that the tmux
    /// end-to-end test checks restores the screen).
    #[test]
    fn a_panic_gives_the_terminal_back() {
        let before = super::LEFT.load(Ordering::SeqCst);
        super::install_panic_hook();
        let caught = std::panic::catch_unwind(|| panic!("dashboard bug"));
        // Put the default hook back for the other tests of this binary.
        let _ = std::panic::take_hook();
        assert!(caught.is_err());
        assert!(super::LEFT.load(Ordering::SeqCst) > before);
    }
}
