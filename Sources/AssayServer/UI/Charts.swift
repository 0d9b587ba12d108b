import Foundation

/// Inline SVG charts, drawn from numbers only (labels are escaped), so they need no script and no CDN.
enum Charts {
    /// A metric's history: value by step, with the range labelled.
    static func line(_ points: [(step: Int64, value: Double)], title: String, width: Double = 360, height: Double = 120) -> String {
        let finite = points.filter { $0.value.isFinite }
        guard finite.count >= 2 else { return "" }
        let (left, right, top, bottom) = (44.0, 8.0, 8.0, 22.0)
        let firstStep = finite.map(\.step).min()!, lastStep = finite.map(\.step).max()!
        let minX = Double(firstStep), maxX = Double(lastStep)
        var minY = finite.map(\.value).min()!, maxY = finite.map(\.value).max()!
        if minY == maxY { minY -= 1; maxY += 1 }
        func x(_ v: Double) -> Double { left + (maxX == minX ? 0 : fraction(v, minX, maxX)) * (width - left - right) }
        func y(_ v: Double) -> Double { top + (1 - fraction(v, minY, maxY)) * (height - top - bottom) }
        let path = finite.map { String(format: "%.1f,%.1f", x(Double($0.step)), y($0.value)) }.joined(separator: " ")
        return """
            <svg class="chart" role="img" aria-label="\(HTML.escape(title)) by step" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">\
            <title>\(HTML.escape(title)): \(finite.count) points from step \(firstStep) to \(lastStep)</title>\
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" class="axis"/>\
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" class="axis"/>\
            <text x="\(left - 4)" y="\(top + 8)" text-anchor="end">\(HTML.escape(HTML.number(maxY)))</text>\
            <text x="\(left - 4)" y="\(height - bottom)" text-anchor="end">\(HTML.escape(HTML.number(minY)))</text>\
            <text x="\(left)" y="\(height - 6)">\(firstStep)</text>\
            <text x="\(width - right)" y="\(height - 6)" text-anchor="end">step \(lastStep)</text>\
            <polyline points="\(path)" class="series"/></svg>
            """
    }

    /// A histogram of per-row scores over the range (or the metric's scale when given): one bar per
    /// value for whole-number scores on a short scale (a 1..5 judge: five bars, none missing), else ten
    /// bins; the y axis is labelled with the tallest bar's count.
    static func histogram(
        _ values: [Double], title: String, range: ClosedRange<Double>? = nil, width: Double = 240, height: Double = 120
    ) -> String {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return "" }
        var lo = range?.lowerBound ?? finite.min()!, hi = range?.upperBound ?? finite.max()!
        let whole = finite.allSatisfy { $0 == $0.rounded() } && lo == lo.rounded() && hi == hi.rounded() && hi - lo <= 20
        let binCount: Int
        if whole {
            binCount = Int(hi - lo) + 1
        } else {
            if lo == hi { lo -= 0.5; hi += 0.5 }
            binCount = 10
        }
        var bins = [Int](repeating: 0, count: binCount)
        for v in finite {
            let i = whole ? Int(v - lo) : Int((fraction(v, lo, hi) * Double(binCount)).rounded(.down))
            bins[min(max(i, 0), binCount - 1)] += 1
        }
        let peak = Double(bins.max()!)
        let (left, right, bottom, top) = (26.0, 4.0, 20.0, 16.0)
        let barWidth = (width - left - right) / Double(binCount)
        var bars = ""
        for (i, count) in bins.enumerated() {
            let h = peak == 0 ? 0 : Double(count) / peak * (height - top - bottom)
            let label: String
            if whole {
                label = HTML.number(lo + Double(i))
            } else {
                let from = lo + Double(i) * (hi / 2 - lo / 2) / Double(binCount) * 2
                let to = lo + Double(i + 1) * (hi / 2 - lo / 2) / Double(binCount) * 2
                label = "\(HTML.number(from))–\(HTML.number(to))"
            }
            bars += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar\">", left + Double(i) * barWidth + 1,
                height - bottom - h, max(barWidth - 2, 1), h)
            bars += "<title>\(HTML.escape(label)): \(count)</title></rect>"
            if whole, binCount <= 11 {
                bars += String(
                    format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", left + (Double(i) + 0.5) * barWidth, height - 6)
                bars += HTML.escape(label) + "</text>"
            }
        }
        let ends =
            whole && binCount <= 11
            ? ""
            : """
            <text x="\(left)" y="\(height - 6)">\(HTML.escape(HTML.number(lo)))</text>\
            <text x="\(width - right)" y="\(height - 6)" text-anchor="end">\(HTML.escape(HTML.number(hi)))</text>
            """
        return """
            <svg class="chart" role="img" aria-label="Distribution of \(HTML.escape(title))" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">\
            <title>\(HTML.escape(title)): \(finite.count) scores</title>\
            <text x="4" y="11">\(HTML.escape(title)) (n=\(finite.count))</text>\(bars)\
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" class="axis"/>\
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" class="axis"/>\
            <text x="\(left - 3)" y="\(top + 8)" text-anchor="end">\(Int(peak))</text>\
            <text x="\(left - 3)" y="\(height - bottom)" text-anchor="end">0</text>\(ends)</svg>
            """
    }

    /// One metric across runs: a bar per run, its value on a labelled axis (from zero when all values
    /// are positive), the runs' names below.
    static func bars(_ items: [(label: String, value: Double)], title: String, width: Double = 720, height: Double = 260) -> String {
        let finite = items.filter { $0.value.isFinite }
        guard !finite.isEmpty else { return "" }
        let (left, right, top, bottom) = (56.0, 8.0, 22.0, 70.0)
        var lo = min(0, finite.map(\.value).min()!), hi = finite.map(\.value).max()!
        if lo == hi { hi = lo + 1 }
        let slot = (width - left - right) / Double(finite.count)
        func y(_ v: Double) -> Double { top + (1 - fraction(v, lo, hi)) * (height - top - bottom) }
        var marks = axisY(lo: lo, hi: hi, left: left, right: width - right, y: y)
        for (i, item) in finite.enumerated() {
            let x = left + Double(i) * slot
            let (y0, y1) = (y(max(lo, 0)), y(item.value))
            marks += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"bar\">", x + slot * 0.15, min(y0, y1),
                max(slot * 0.7, 1), max(abs(y0 - y1), 0.5))
            marks += "<title>\(HTML.escape(item.label)): \(HTML.escape(HTML.number(item.value)))</title></rect>"
            let name = item.label.count > 14 ? String(item.label.prefix(13)) + "…" : item.label
            marks += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" transform=\"rotate(-40 %.1f %.1f)\">", x + slot / 2,
                height - bottom + 12, x + slot / 2, height - bottom + 12)
            marks += HTML.escape(name) + "</text>"
        }
        return svg(
            title: "\(title) by run", width: width, height: height, summary: "\(title) of \(finite.count) runs", heading: title, marks)
    }

    /// Two metrics across runs: a dot per run at (x, y), both axes labelled.
    static func scatter(
        _ items: [(label: String, x: Double, y: Double)], xTitle: String, yTitle: String, width: Double = 520, height: Double = 360
    ) -> String {
        let finite = items.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return "" }
        let (left, right, top, bottom) = (56.0, 12.0, 22.0, 40.0)
        var (xl, xh) = (finite.map(\.x).min()!, finite.map(\.x).max()!)
        var (yl, yh) = (finite.map(\.y).min()!, finite.map(\.y).max()!)
        if xl == xh { xl -= 0.5; xh += 0.5 }
        if yl == yh { yl -= 0.5; yh += 0.5 }
        // A margin inside the axes, so no dot sits on one.
        (xl, xh) = (xl - (xh - xl) * 0.06, xh + (xh - xl) * 0.06)
        (yl, yh) = (yl - (yh - yl) * 0.06, yh + (yh - yl) * 0.06)
        func px(_ v: Double) -> Double { left + fraction(v, xl, xh) * (width - left - right) }
        func py(_ v: Double) -> Double { top + (1 - fraction(v, yl, yh)) * (height - top - bottom) }
        var marks = axisY(lo: yl, hi: yh, left: left, right: width - right, y: py)
        marks += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        for t in 0...4 {
            let v = xl + (xh - xl) * Double(t) / 4
            marks +=
                String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px(v), height - bottom + 14)
                + HTML.escape(HTML.number(v)) + "</text>"
        }
        marks +=
            "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"axis-title\">\(HTML.escape(xTitle))</text>"
        for item in finite {
            marks += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" class=\"dot\">", px(item.x), py(item.y))
            marks +=
                "<title>\(HTML.escape(item.label)): \(HTML.escape(HTML.number(item.x))), \(HTML.escape(HTML.number(item.y)))</title></circle>"
        }
        return svg(
            title: "\(yTitle) against \(xTitle)", width: width, height: height, summary: "\(finite.count) runs",
            heading: "\(yTitle) (y) against \(xTitle) (x)", marks)
    }

    /// Several metrics across runs: an axis per metric (each from its smallest to its largest value),
    /// a line per run through its values.
    static func parallel(_ runs: [(label: String, values: [Double?])], axes: [String], width: Double = 720, height: Double = 300) -> String
    {
        guard axes.count >= 2, !runs.isEmpty else { return "" }
        let (left, right, top, bottom) = (40.0, 40.0, 34.0, 40.0)
        let ranges = axes.indices.map { a -> (Double, Double) in
            let column = runs.compactMap { $0.values[a] }.filter(\.isFinite)
            guard var lo = column.min(), var hi = column.max() else { return (0, 1) }
            if lo == hi { lo -= 0.5; hi += 0.5 }
            return (lo, hi)
        }
        func px(_ a: Int) -> Double { left + Double(a) * (width - left - right) / Double(axes.count - 1) }
        func py(_ a: Int, _ v: Double) -> Double { top + (1 - fraction(v, ranges[a].0, ranges[a].1)) * (height - top - bottom) }
        var marks = ""
        for (a, name) in axes.enumerated() {
            marks += "<line x1=\"\(px(a))\" y1=\"\(top)\" x2=\"\(px(a))\" y2=\"\(height - bottom)\" class=\"axis\"/>"
            let short = name.count > 22 ? String(name.prefix(21)) + "…" : name
            marks += "<text x=\"\(px(a))\" y=\"\(top - 18)\" text-anchor=\"middle\" class=\"axis-title\">\(HTML.escape(short))</text>"
            marks += "<text x=\"\(px(a))\" y=\"\(top - 6)\" text-anchor=\"middle\">\(HTML.escape(HTML.number(ranges[a].1)))</text>"
            marks +=
                "<text x=\"\(px(a))\" y=\"\(height - bottom + 14)\" text-anchor=\"middle\">\(HTML.escape(HTML.number(ranges[a].0)))</text>"
        }
        for run in runs {
            let points = axes.indices.compactMap { a -> String? in
                guard let v = run.values[a], v.isFinite else { return nil }
                return String(format: "%.1f,%.1f", px(a), py(a, v))
            }
            guard points.count >= 2 else { continue }
            marks +=
                "<polyline points=\"\(points.joined(separator: " "))\" class=\"series\"><title>\(HTML.escape(run.label))</title></polyline>"
        }
        return svg(
            title: "Runs across \(axes.count) metrics", width: width, height: height,
            summary: "\(runs.count) runs, \(axes.joined(separator: ", "))", heading: nil, marks)
    }

    /// A y axis with five labelled ticks and faint grid lines.
    private static func axisY(lo: Double, hi: Double, left: Double, right: Double, y: (Double) -> Double) -> String {
        var marks = "<line x1=\"\(left)\" y1=\"\(y(hi))\" x2=\"\(left)\" y2=\"\(y(lo))\" class=\"axis\"/>"
        for t in 0...4 {
            let v = lo + (hi - lo) * Double(t) / 4
            marks += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, y(v), right, y(v))
            marks +=
                String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 4, y(v) + 3) + HTML.escape(HTML.number(v))
                + "</text>"
        }
        return marks
    }

    private static func svg(title: String, width: Double, height: Double, summary: String, heading: String?, _ marks: String) -> String {
        """
        <svg class="chart" role="img" aria-label="\(HTML.escape(title))" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))">\
        <title>\(HTML.escape(title)): \(HTML.escape(summary))</title>\
        \(heading.map { "<text x=\"4\" y=\"12\" class=\"axis-title\">\(HTML.escape($0))</text>" } ?? "")\(marks)</svg>
        """
    }

    /// Where `v` lies between `lo` and `hi` as 0...1, computed on halves so that finite values near
    /// ±Double.greatestFiniteMagnitude do not overflow to infinity (and then NaN).
    static func fraction(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        let f = (v / 2 - lo / 2) / (hi / 2 - lo / 2)
        return f.isFinite ? min(max(f, 0), 1) : 0
    }
}
