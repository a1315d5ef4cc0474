//! Progress: a bar on a terminal, one structured line per epoch otherwise (CI logs, pipes).

use super::EpochMetrics;
use std::io::{IsTerminal, Write};

/// How to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, lines otherwise.
    #[default]
    Auto,
    /// A bar updated every batch.
    Bar,
    /// One `key=value` line per epoch.
    Lines,
    /// Nothing.
    Quiet,
}

pub(crate) struct Progress {
    bar: bool,
    lines: bool,
    epochs: usize,
    drawn: bool,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode, epochs: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = matches!(mode, ProgressMode::Bar) || (mode == ProgressMode::Auto && terminal);
        let lines = !bar && mode != ProgressMode::Quiet;
        Self {
            bar,
            lines: lines || bar,
            epochs,
            drawn: false,
        }
    }

    pub(crate) fn batch(&mut self, epoch: usize, batch: usize, batches: usize) {
        if !self.bar {
            return;
        }
        const WIDTH: usize = 30;
        let filled = WIDTH * batch / batches.max(1);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\repoch {epoch:>3}/{} [{}{}] {batch}/{batches} batches ",
            self.epochs,
            "#".repeat(filled),
            "-".repeat(WIDTH - filled)
        );
        let _ = err.flush();
        self.drawn = true;
    }

    pub(crate) fn epoch(&mut self, m: &EpochMetrics) {
        if !self.lines {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.drawn {
            let _ = write!(err, "\r\x1b[2K");
            self.drawn = false;
        }
        let _ = writeln!(
            err,
            "epoch={}/{} train_loss={:.4} train_acc={:.4} valid_loss={:.4} valid_acc={:.4} lr={:.3e} samples_per_s={:.0} seconds={:.2}",
            m.epoch,
            self.epochs,
            m.train_loss,
            m.train_accuracy,
            m.valid_loss,
            m.valid_accuracy,
            m.learning_rate,
            m.samples_per_second,
            m.seconds
        );
    }

    pub(crate) fn finish(&mut self) {
        if self.drawn {
            let _ = writeln!(std::io::stderr());
            self.drawn = false;
        }
    }
}
