import Foundation

/// A one-line progress display on stderr: `1,234/5,000 docs  24%  312.4 docs/s  ETA 0:12`.
/// Shown only when stderr is a terminal and neither `--quiet` nor `--json` is set; redrawn at most
/// 10 times a second; erased by `finish()` so the final output is clean.
public final class ProgressBar {
    public let total: Int?
    public let unit: String
    public let isEnabled: Bool
    public private(set) var count = 0
    private let write: (String) -> Void
    private let clock: () -> Double
    private let started: Double
    private var lastDraw = -Double.infinity
    private var drawn = false

    /// Whether a progress bar belongs on this stderr.
    public static func shouldShow(quiet: Bool, json: Bool, stderrIsTTY: Bool = isatty(STDERR_FILENO) != 0) -> Bool {
        !quiet && !json && stderrIsTTY
    }

    /// - Parameters:
    ///   - total: the expected count, when known (enables percentage and ETA).
    ///   - write: where to draw (stderr by default); `clock` returns seconds (monotonic), injectable for tests.
    public init(total: Int?, unit: String = "docs", enabled: Bool,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.total = total
        self.unit = unit
        self.isEnabled = enabled
        self.write = write
        self.clock = clock
        self.started = clock()
    }

    /// Counts `n` more items, redrawing when the last draw is ≥ 0.1 s old.
    public func advance(by n: Int = 1) {
        count += n
        guard isEnabled else { return }
        let now = clock()
        if now - lastDraw >= 0.1 {
            lastDraw = now
            draw(now: now)
        }
    }

    /// Erases the bar.
    public func finish() {
        if isEnabled && drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    /// The text of the bar at time `now` (seconds on `clock`).
    public func line(now: Double) -> String {
        let elapsed = max(now - started, 1e-9)
        let rate = Double(count) / elapsed
        var text = ProgressBar.grouped(count)
        if let total { text += "/" + ProgressBar.grouped(total) }
        text += " \(unit)"
        if let total, total > 0 { text += "  \(min(100, count * 100 / total))%" }
        text += "  " + String(format: "%.1f", rate) + " \(unit)/s"
        if let total, rate > 0, count < total {
            text += "  ETA " + ProgressBar.duration(Double(total - count) / rate)
        }
        return text
    }

    private func draw(now: Double) {
        write("\r\u{1B}[K" + line(now: now))
        drawn = true
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
