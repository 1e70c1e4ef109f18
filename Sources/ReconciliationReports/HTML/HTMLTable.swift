import HTMLText

/// A `ReportTable` as an HTML table for a printed page.
public enum HTMLTable {
    /// The table in `language`: caption, a `thead` the browser repeats on every printed page,
    /// the rows, then the totals in a `tfoot`. Numbers are aligned right (class `num`).
    public static func render(_ table: ReportTable, _ language: ReportLanguage) -> String {
        // Nine columns and more get a smaller type so that they fit the width of A4 portrait.
        let dense = table.columns.count >= 9 ? " dense" : ""
        var html = "<table id=\"table-\(HTMLText.identifier(table.name))\" class=\"report-table\(dense)\">\n"
        html += "<caption>\(HTMLText.escape(table.title.text(language)))</caption>\n<thead><tr>"
        for (index, column) in table.columns.enumerated() {
            let numeric = table.rows.first.map { $0[index].isNumeric } ?? false
            html += "<th scope=\"col\"\(numeric ? " class=\"num\"" : "")>\(HTMLText.escape(column.title.text(language)))</th>"
        }
        html += "</tr></thead>\n"
        html += "<tbody>\n"
        if table.rows.isEmpty {
            let none = BilingualText(uk: "Немає записів", en: "No entries").text(language)
            html += "<tr class=\"none\"><td colspan=\"\(max(1, table.columns.count))\">\(none)</td></tr>\n"
        }
        for row in table.rows { html += Self.row(row, language) }
        html += "</tbody>\n"
        // Totals once, after the rows: the stylesheet keeps the tfoot from repeating on each page.
        if !table.totals.isEmpty {
            html += "<tfoot>\n"
            for row in table.totals { html += Self.row(row, language) }
            html += "</tfoot>\n"
        }
        html += "</table>\n"
        return html
    }

    static func row(_ cells: [ReportCell], _ language: ReportLanguage) -> String {
        var html = "<tr>"
        for cell in cells {
            html += "<td\(cell.htmlClass)>\(HTMLText.escape(cell.text(language)))</td>"
        }
        return html + "</tr>\n"
    }
}

extension ReportCell {
    /// ` class="…"` for cells the stylesheet treats apart: numbers, dates, long tokens.
    var htmlClass: String {
        if isNumeric { return " class=\"num\"" }
        if case .date = self { return " class=\"date\"" }
        return isLongToken ? " class=\"token\"" : ""
    }

    /// A long run without spaces (a hash, a list of entries joined by commas only): the page
    /// may break it anywhere, or it would widen its column past the paper.
    var isLongToken: Bool {
        guard case .text(let text) = self, text.count > 24 else { return false }
        return text.split(separator: " ").contains { $0.count > 24 }
    }
}
