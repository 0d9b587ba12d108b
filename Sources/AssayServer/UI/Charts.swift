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

    /// Where `v` lies between `lo` and `hi` as 0...1, computed on halves so that finite values near
    /// ±Double.greatestFiniteMagnitude do not overflow to infinity (and then NaN).
    static func fraction(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        let f = (v / 2 - lo / 2) / (hi / 2 - lo / 2)
        return f.isFinite ? min(max(f, 0), 1) : 0
    }
}
