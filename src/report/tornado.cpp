// Tornado chart of a sensitivity analysis (contract in report/tornado.hpp).
#include "dojosim/report/tornado.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dojosim::report {

namespace {
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&')
      o += "&amp;";
    else if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}
std::string str(const nlohmann::ordered_json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }
}  // namespace

std::string tornado_svg(const nlohmann::ordered_json& sj, const std::string& metric_in) {
  const std::string metric = metric_in.empty() ? sj.at("metrics").at(0).get<std::string>() : metric_in;
  const double base = sj.at("base").at(metric).get<double>();
  const auto& range = sj.at("range").at(metric);
  // Rows by this metric's swing, largest first (stable: the JSON's order breaks ties).
  std::vector<const nlohmann::ordered_json*> rows;
  for (const auto& r : sj.at("assumptions")) rows.push_back(&r);
  auto swing = [&](const nlohmann::ordered_json* r) {
    return std::abs(r->at("at_high").at(metric).get<double>() - r->at("at_low").at(metric).get<double>());
  };
  std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) { return swing(a) > swing(b); });
  double lo = std::min(base, range.at("low").get<double>()), hi = std::max(base, range.at("high").get<double>());
  for (const auto* r : rows) {
    lo = std::min({lo, r->at("at_low").at(metric).get<double>(), r->at("at_high").at(metric).get<double>()});
    hi = std::max({hi, r->at("at_low").at(metric).get<double>(), r->at("at_high").at(metric).get<double>()});
  }
  const double pad = (hi - lo) * 0.05 + 1e-12;
  lo -= pad;
  hi += pad;
  constexpr double kLabel = 330, kPlot = 520, kRow = 26, kTop = 96;
  const double width = kLabel + kPlot + 40;
  const double height = kTop + kRow * static_cast<double>(rows.size() + 1) + 90;
  auto x = [&](double v) { return kLabel + (v - lo) / (hi - lo) * kPlot; };
  std::string b;
  auto text = [&](double tx, double ty, const std::string& s, double size, const char* anchor, const char* extra = "") {
    b += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{:.0f}\" text-anchor=\"{}\"{}>{}</text>\n", tx, ty, size,
                     anchor, extra, esc(s));
  };
  text(20, 30, fmt::format("How sure is the verdict: {}", sj.at("question").get<std::string>()), 15, "start",
       " font-weight=\"bold\"");
  text(20, 52,
       fmt::format("{} at the preset: {:.4g}; every assumption at its low and high value, the rest at the preset", metric, base),
       12, "start");
  text(20, 70, "orange: the metric with the assumption at its low value; blue: at its high value", 12, "start");
  double y = kTop;
  for (const auto* r : rows) {
    const double vl = r->at("at_low").at(metric).get<double>(), vh = r->at("at_high").at(metric).get<double>();
    text(kLabel - 8, y + 15,
         fmt::format("{} ({} .. {})", r->at("assumption").get<std::string>(), str(r->at("low")), str(r->at("high"))), 11, "end");
    for (const auto& [v, colour, which] : {std::tuple{vl, "#e6862e", "low"}, std::tuple{vh, "#3a78c2", "high"}}) {
      if (v == base) continue;
      const double x0 = std::min(x(v), x(base)), w = std::abs(x(v) - x(base));
      b += fmt::format(
          "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} at {}: "
          "{:.4g}</title></rect>\n",
          x0, y + 3, std::max(w, 0.5), kRow - 6, colour, esc(r->at("key").get<std::string>()), which, v);
    }
    y += kRow;
  }
  // The combined range (every assumption at its pessimistic, then optimistic, value).
  const double rl = range.at("low").get<double>(), rh = range.at("high").get<double>();
  text(kLabel - 8, y + 15, "all assumptions together (range)", 11, "end", " font-weight=\"bold\"");
  b += fmt::format(
      "<rect class=\"range\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#888888\"><title>{:.4g} .. "
      "{:.4g}</title></rect>\n",
      x(rl), y + 3, std::max(x(rh) - x(rl), 0.5), kRow - 6, rl, rh);
  y += kRow;
  // Base line and axis.
  b += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\" stroke-width=\"1.5\"/>\n",
                   x(base), kTop - 6, y + 4);
  b += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#222\" stroke-width=\"1\"/>\n", kLabel,
                   y + 8, kLabel + kPlot, y + 8);
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0;
    b +=
        fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\"/>\n", x(v), y + 8, y + 13);
    text(x(v), y + 27, fmt::format("{:.4g}", v), 11, "middle");
  }
  text(kLabel + kPlot / 2, y + 47, metric, 12, "middle");
  text(20, y + 72, fmt::format("range the public facts allow: {:.4g} .. {:.4g} (preset {:.4g})", rl, rh, base), 12, "start",
       " font-weight=\"bold\"");
  std::string o = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"Helvetica, Arial, sans-serif\">\n",
      width, height, width, height);
  o += fmt::format("<rect width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n", width, height);
  o += b;
  o += "</svg>\n";
  return o;
}

}  // namespace dojosim::report
