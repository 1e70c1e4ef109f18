import HTMLText

/// A bar chart drawn as inline SVG: one bar per category, stacked by series, with a value
/// axis, category labels, a legend and an accessible title.
///
/// The drawing is integer arithmetic in tenths of a pixel, so the same chart is the same bytes
/// on every machine. Each drawn segment is a `rect` of class `bar` carrying `data-series` and
/// `data-category`, with a `title` tooltip; a zero value draws nothing.
public struct BarChart: Hashable, Sendable {
    /// One stacked series: a name for the legend and one value per category.
    public struct Series: Hashable, Sendable {
        /// The legend text.
        public let name: BilingualText
        /// One value per category (counts, or kopecks for a money chart); negatives count as 0.
        public let values: [Int64]

        /// A series.
        public init(name: BilingualText, values: [Int64]) {
            self.name = name
            self.values = values
        }
    }

    /// What the values are, which decides the axis labels.
    public enum Unit: Hashable, Sendable {
        /// Counts (rides, exceptions).
        case count
        /// Kopecks, labelled in hryvnias.
        case money
    }

    /// The element id, made safe by `HTMLText.identifier`.
    public let id: String
    /// The heading and the SVG `<title>`.
    public let title: BilingualText
    /// The label of the value axis (`Поїздки` / `Rides`).
    public let valueAxis: BilingualText
    /// The label of the category axis (`День` / `Day`).
    public let categoryAxis: BilingualText
    /// The category labels, left to right.
    public let categories: [String]
    /// The series, stacked bottom to top in this order.
    public let series: [Series]
    /// What the values are.
    public let unit: Unit

    /// A chart.
    public init(
        id: String, title: BilingualText, valueAxis: BilingualText, categoryAxis: BilingualText, categories: [String], series: [Series],
        unit: Unit = .count
    ) {
        self.id = HTMLText.identifier(id)
        self.title = title
        self.valueAxis = valueAxis
        self.categoryAxis = categoryAxis
        self.categories = categories
        self.series = series
        self.unit = unit
    }

    /// How many `rect.bar` the chart draws: one per positive value.
    public var barCount: Int { series.reduce(0) { $0 + $1.values.prefix(categories.count).filter { $0 > 0 }.count } }

    /// Colour-blind-safe fills (Okabe and Ito), which also stay apart when printed in grey.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    // Geometry, in tenths of a pixel.
    static let width = 7200
    static let left = 800
    static let right = 200
    static let top = 300
    static let plotHeight = 2200
    static let legendRowHeight = 220
    static let legendPerRow = 2

    /// The chart as an `<svg>` element for a page in `language`.
    public func svg(_ language: ReportLanguage) -> String {
        let count = categories.count
        let value: (Int, Int) -> Int64 = { seriesIndex, category in
            max(0, series[seriesIndex].values.indices.contains(category) ? series[seriesIndex].values[category] : 0)
        }
        let totals = (0..<count).map { category in series.indices.reduce(Int64(0)) { $0 + value($1, category) } }
        let axis = Self.axis(maximum: totals.max() ?? 0, unit: unit)
        let plotWidth = Self.width - Self.left - Self.right
        let band = count > 0 ? plotWidth / count : plotWidth
        let barWidth = max(10, band * 7 / 10)
        // Long labels are turned 45°, and the space under the plot grows with them.
        let longest = categories.map { min($0.count, Self.labelLimit) }.max() ?? 0
        let rotated = longest * 60 > band
        let labelStep = max(1, (count + 30) / 31)
        let labelSpace = rotated ? 200 + longest * 45 : 400
        let plotBottom = Self.top + Self.plotHeight
        let legendTop = plotBottom + labelSpace + 250
        let legendRows = (series.count + Self.legendPerRow - 1) / Self.legendPerRow
        let height = legendTop + legendRows * Self.legendRowHeight + 100
        let titleID = "\(id)-title", descriptionID = "\(id)-desc"

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" class=\"chart\" role=\"img\" aria-labelledby=\"\(titleID) \(descriptionID)\""
        svg += " viewBox=\"0 0 \(Self.tenths(Self.width)) \(Self.tenths(height))\" width=\"\(Self.tenths(Self.width))\" height=\"\(Self.tenths(height))\""
        svg += " data-bars=\"\(barCount)\">\n"
        svg += "<title id=\"\(titleID)\">\(HTMLText.escape(title.text(language)))</title>\n"
        svg += "<desc id=\"\(descriptionID)\">\(HTMLText.escape(description(totals: totals, language)))</desc>\n"

        // Grid lines and value labels.
        for step in 0...axis.steps {
            let tickValue = axis.step * Int64(step)
            let y = plotBottom - Int(Int64(Self.plotHeight) * Int64(step) / Int64(axis.steps))
            svg += "<line class=\"grid\" x1=\"\(Self.tenths(Self.left))\" y1=\"\(Self.tenths(y))\" x2=\"\(Self.tenths(Self.width - Self.right))\" y2=\"\(Self.tenths(y))\" stroke=\"\(step == 0 ? "#000" : "#ccc")\" stroke-width=\"\(step == 0 ? "1" : "0.5")\"/>\n"
            svg += "<text class=\"tick\" x=\"\(Self.tenths(Self.left - 60))\" y=\"\(Self.tenths(y + 35))\" text-anchor=\"end\" font-size=\"10\">\(HTMLText.escape(label(tickValue, language)))</text>\n"
        }
        svg += "<text class=\"axis-title\" transform=\"translate(\(Self.tenths(150)) \(Self.tenths(Self.top + Self.plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">\(HTMLText.escape(axisTitle(language)))</text>\n"

        // Bars, stacked.
        for category in 0..<count {
            let x = Self.left + band * category + (band - barWidth) / 2
            var base = plotBottom
            for seriesIndex in series.indices {
                let amount = value(seriesIndex, category)
                guard amount > 0 else { continue }
                let barHeight = max(5, Int(Int64(Self.plotHeight) * amount / axis.maximum))
                base -= barHeight
                let tooltip = "\(categories[category]) — \(series[seriesIndex].name.text(language)): \(label(amount, language))"
                svg += "<rect class=\"bar\" data-series=\"\(seriesIndex)\" data-category=\"\(category)\" x=\"\(Self.tenths(x))\" y=\"\(Self.tenths(base))\""
                svg += " width=\"\(Self.tenths(barWidth))\" height=\"\(Self.tenths(barHeight))\" fill=\"\(Self.palette[seriesIndex % Self.palette.count])\">"
                svg += "<title>\(HTMLText.escape(tooltip))</title></rect>\n"
            }
        }

        // Category labels: every one up to 31, fewer beyond, turned when long.
        for category in stride(from: 0, to: count, by: labelStep) {
            let x = Self.left + band * category + band / 2
            let y = plotBottom + 150
            let text = HTMLText.escape(Self.shortened(categories[category]))
            if rotated {
                svg += "<text class=\"category\" transform=\"translate(\(Self.tenths(x)) \(Self.tenths(y))) rotate(-45)\" text-anchor=\"end\" font-size=\"10\">\(text)</text>\n"
            } else {
                svg += "<text class=\"category\" x=\"\(Self.tenths(x))\" y=\"\(Self.tenths(y))\" text-anchor=\"middle\" font-size=\"10\">\(text)</text>\n"
            }
        }
        svg += "<text class=\"axis-title\" x=\"\(Self.tenths(Self.left + plotWidth / 2))\" y=\"\(Self.tenths(legendTop - 120))\" text-anchor=\"middle\" font-size=\"11\">\(HTMLText.escape(categoryAxis.text(language)))</text>\n"

        if count == 0 || barCount == 0 {
            let none = BilingualText(uk: "Немає даних за період", en: "No data for the period").text(language)
            svg += "<text class=\"no-data\" x=\"\(Self.tenths(Self.left + plotWidth / 2))\" y=\"\(Self.tenths(Self.top + Self.plotHeight / 2))\" text-anchor=\"middle\" font-size=\"12\">\(none)</text>\n"
        }

        // Legend.
        let columnWidth = plotWidth / Self.legendPerRow
        for (index, item) in series.enumerated() {
            let x = Self.left + (index % Self.legendPerRow) * columnWidth
            let y = legendTop + (index / Self.legendPerRow) * Self.legendRowHeight
            svg += "<g class=\"legend-item\"><rect x=\"\(Self.tenths(x))\" y=\"\(Self.tenths(y))\" width=\"\(Self.tenths(120))\" height=\"\(Self.tenths(120))\" fill=\"\(Self.palette[index % Self.palette.count])\"/>"
            svg += "<text x=\"\(Self.tenths(x + 180))\" y=\"\(Self.tenths(y + 105))\" font-size=\"10\">\(HTMLText.escape(Self.shortened(item.name.text(language), limit: 56)))</text></g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    static let labelLimit = 24

    /// A label cut to `limit` characters with an ellipsis; the full text is in each bar's tooltip.
    static func shortened(_ text: String, limit: Int = labelLimit) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    /// `12.5` from 125 tenths.
    static func tenths(_ value: Int) -> String {
        let (whole, fraction) = value.magnitude.quotientAndRemainder(dividingBy: 10)
        return (value < 0 ? "-" : "") + "\(whole)" + (fraction == 0 ? "" : ".\(fraction)")
    }

    func label(_ value: Int64, _ language: ReportLanguage) -> String {
        switch unit {
        case .count: NumberFormat.integer(value, language)
        case .money: value % 100 == 0 ? NumberFormat.integer(value / 100, language) : NumberFormat.amount(kopecks: value, language)
        }
    }

    func axisTitle(_ language: ReportLanguage) -> String {
        switch unit {
        case .count: valueAxis.text(language)
        case .money: valueAxis.text(language) + (language == .ukrainian ? ", грн" : ", UAH")
        }
    }

    func description(totals: [Int64], _ language: ReportLanguage) -> String {
        let sum = totals.reduce(0, +)
        let names = series.map { $0.name.text(language) }.joined(separator: ", ")
        switch language {
        case .ukrainian: return "Стовпчиків: \(categories.count); серії: \(names); разом: \(label(sum, language))."
        case .english: return "\(categories.count) bars; series: \(names); total: \(label(sum, language))."
        }
    }

    /// A value axis from 0 with 4–5 steps of 1, 2 or 5 × 10ⁿ (in whole hryvnias for money).
    static func axis(maximum: Int64, unit: Unit) -> (step: Int64, steps: Int, maximum: Int64) {
        let scale: Int64 = unit == .money ? 100 : 1
        let top = max(1, (maximum + scale - 1) / scale)
        var magnitude: Int64 = 1
        while true {
            for multiple: Int64 in [1, 2, 5] {
                let step = multiple * magnitude
                if step * 5 >= top {
                    let steps = Int((top + step - 1) / step)
                    return (step * scale, max(1, steps), step * scale * Int64(max(1, steps)))
                }
            }
            magnitude *= 10
        }
    }
}
