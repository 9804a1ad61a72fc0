#include "dojosim/report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "dojosim/core/errors.hpp"
#include "dojosim/core/text.hpp"
#include "dojosim/core/units.hpp"

namespace dojosim::report {

namespace {

namespace mesh = collective::mesh;
using collective::Op;
using collective::Path;
using core::Dim;
using core::format_quantity;

// Geometry (px).
constexpr double kPitch = 60;  // between neighbouring D1 centres
constexpr double kNode = 30;   // D1 box
constexpr double kGap = 90;    // between tiles (room for edge links and DIPs)
constexpr double kLeft = 90, kTop = 125;
constexpr double kLegendWidth = 300;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// Utilisation colour scale (ColorBrewer RdYlBu, reversed): blue (light use) to dark red (full).
struct Stop {
  double at;
  int r, g, b;
};
constexpr std::array<Stop, 5> kScale{
    {{0.0, 49, 54, 149}, {0.25, 69, 117, 180}, {0.5, 254, 224, 144}, {0.75, 244, 109, 67}, {1.0, 165, 0, 38}}};
constexpr const char* kIdle = "#c8c8c8";

std::string colour(double u) {
  if (!(u > 0)) return kIdle;
  u = std::min(u, 1.0);
  for (std::size_t i = 1; i < kScale.size(); ++i) {
    if (u <= kScale[i].at) {
      const auto& a = kScale[i - 1];
      const auto& b = kScale[i];
      const double f = (u - a.at) / (b.at - a.at);
      auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + f * (y - x))); };
      return fmt::format("#{:02x}{:02x}{:02x}", mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
    }
  }
  return "#a50026";
}

std::string pct(double u) {
  const double p = 100.0 * u;
  if (p == 0 || p >= 0.1) return fmt::format("{:.1f}%", p);
  return p >= 0.001 ? fmt::format("{:.3f}%", p) : "<0.001%";
}

struct Named {
  const char* name;
  const engine::GroupComm* comm;
};

struct Loads {
  mesh::LinkLoads tile, tray;
  double zplane_per_device = 0;     // bytes through the Z-plane per D1
  std::vector<std::string> beyond;  // traffic of levels above the drawn ones
  Loads(int r, int c, int tr, int tc) : tile(r, c), tray(tr, tc) {}
};

void accumulate(Loads& L, const hardware::System& sys, const char* name, const engine::GroupComm& gc, bool whole_step,
                int drawn_levels) {
  for (std::size_t t = 0; t < gc.traffic.size(); ++t) {
    const auto& tr = gc.traffic[t];
    if (tr.op == Op::none || tr.bytes <= 0) continue;
    if (!whole_step && t > 0) break;  // one call of the group's main collective
    const double calls = whole_step ? tr.calls : 1.0;
    if (calls <= 0) continue;
    // The path and algorithm each level chose for this message, as the engine priced it.
    const collective::Cost& c = tr.cost;
    for (int i = 0; i < gc.group.hops && i < c.hops; ++i) {
      const auto& h = gc.group.hop[static_cast<std::size_t>(i)];
      const auto& ch = c.hop[static_cast<std::size_t>(i)];
      const double b = collective::hop_bytes(gc.group, tr.op, tr.bytes, i);
      if (ch.z_share > 0) L.zplane_per_device += ch.z_share * calls * collective::sent_bytes(tr.op, b, h.k);
      if (ch.path == Path::zplane) continue;
      if (h.is_mesh() && h.level < drawn_levels) {
        auto& target = h.level == 0 ? L.tile : L.tray;
        // Above the tile, every device of a child instance runs its own copy over the same links.
        const double lanes = h.level == 0 ? 1.0 : static_cast<double>(sys.devices_per(h.level - 1));
        mesh::add_all_groups(target, h.members, tr.op, ch.algo, (1.0 - ch.z_share) * b, calls * lanes);
      } else {
        L.beyond.push_back(fmt::format("{} {} at {}: {} via {} ({})", name, collective::op_name(tr.op),
                                       sys.levels[static_cast<std::size_t>(h.level)].name, format_quantity(b * calls, Dim::bytes),
                                       collective::path_name(ch.path), collective::algo_name(ch.algo)));
      }
    }
  }
}

struct Canvas {
  std::string body;
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double w, const std::string& cls,
            const std::string& tip, const char* marker) {
    body += fmt::format(
        "<line class=\"{}\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"{:.1f}\" "
        "marker-end=\"url(#{})\"><title>{}</title></line>\n",
        cls, x1, y1, x2, y2, stroke, w, marker, esc(tip));
  }
  void text(double x, double y, const std::string& s, double size = 12, const char* anchor = "start", const char* extra = "") {
    body += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{:.0f}\" text-anchor=\"{}\"{}>{}</text>\n", x, y, size,
                        anchor, extra, esc(s));
  }
};

}  // namespace

std::string mesh_svg(const engine::Result& r, const hardware::System& sys, const std::string& model_name,
                     const std::string& collective) {
  const std::array<Named, 5> groups{
      {{"tp", &r.comm.tp}, {"cp", &r.comm.cp}, {"ep", &r.comm.ep}, {"pp", &r.comm.pp}, {"dp", &r.comm.dp}}};
  const std::vector<std::string> names{"tp", "cp", "ep", "pp", "dp"};
  const Named* only = nullptr;
  if (!collective.empty()) {
    for (const auto& g : groups)
      if (collective == g.name) only = &g;
    if (!only)
      throw core::InputError({"--svg-collective", 0, 0, ""}, fmt::format("unknown group '{}'", collective),
                             "one of: " + core::join(names, ", "), core::did_you_mean(collective, names));
    if (!only->comm->active())
      throw core::Unsupported({"--svg-collective", 0, 0, ""},
                              fmt::format("the {} group of this plan has one member: it does not communicate", collective),
                              "pick a group of size > 1 (see the strategy line)");
  }
  if (sys.levels.empty() || sys.levels[0].topology != hardware::Topology::mesh2d)
    throw core::Unsupported(
        {"--svg", 0, 0, ""},
        fmt::format("--svg draws 2D-mesh fabrics (Dojo); {}'s innermost level is a {}", sys.name,
                    sys.levels.empty() ? "none" : std::string(hardware::topology_name(sys.levels[0].topology))),
        "use a Dojo system: dojo-tile, dojo-tray, dojo-cabinet, dojo-exapod");

  const auto& L0 = sys.levels[0];
  const int R = L0.dims[0], C = L0.dims[1];
  const bool tray = sys.levels.size() >= 2 && sys.levels[1].topology == hardware::Topology::mesh2d;
  const int TR = tray ? sys.levels[1].dims[0] : 1, TC = tray ? sys.levels[1].dims[1] : 1;
  const int drawn = tray ? 2 : 1;
  Loads loads(R, C, TR, TC);
  const bool whole_step = only == nullptr;
  for (const auto& g : groups)
    if (g.comm->active() && (whole_step || &g == only)) accumulate(loads, sys, g.name, *g.comm, whole_step, drawn);
  const double T = whole_step ? r.step_time : only->comm->cost().time;
  const std::string child = sys.device.name;
  const std::string tile_name = L0.name;

  // ---- canvas ----
  const double tile_w = C * kPitch, tile_h = R * kPitch;
  const double grid_w = TC * tile_w + (TC - 1) * kGap, grid_h = TR * tile_h + (TR - 1) * kGap;
  const double width = kLeft + grid_w + 90 + kLegendWidth;
  std::vector<std::string> notes;
  for (const auto& g : groups) {
    if (!g.comm->active() || (!whole_step && &g != only)) continue;
    const auto& gc = *g.comm;
    std::string s = fmt::format("{}: {} {} x {}", g.name, collective::op_name(gc.traffic[0].op),
                                format_quantity(gc.traffic[0].bytes, Dim::bytes),
                                whole_step ? fmt::format("{:.4g}", gc.traffic[0].calls) : "1");
    for (int i = 0; i < gc.group.hops && i < gc.cost().hops; ++i) {
      const auto& h = gc.group.hop[static_cast<std::size_t>(i)];
      const auto& ch = gc.cost().hop[static_cast<std::size_t>(i)];
      s += fmt::format("{} {} {} {}", i == 0 ? " — " : "; ", sys.levels[static_cast<std::size_t>(h.level)].name,
                       collective::path_name(ch.path), collective::algo_name(ch.algo));
      if (h.is_mesh()) s += fmt::format(" {}x{}", h.members.rows, h.members.cols);
    }
    notes.push_back(s);
  }
  // What the picture leaves out, said under it: the links carry the collectives only, not
  // the DIP memory streams (which also cross the mesh from the DIPs), and a whole step the
  // event engine simulated has its own busiest links, streams included (a probe read the
  // picture's 6% busiest link beside the event engine's 55%).
  std::vector<std::string> unseen;
  if (whole_step && r.placement.streams())
    unseen.push_back(fmt::format(
        "Not drawn: memory streamed per {} and step, {} from DIP HBM{} (it crosses the mesh from the "
        "DIPs).",
        child, format_quantity(r.placement.stream_bytes, Dim::bytes),
        r.placement.host_bytes > 0 ? fmt::format(" and {} from host DRAM", format_quantity(r.placement.host_bytes, Dim::bytes))
                                   : std::string()));
  if (whole_step && !r.busiest_links.empty()) {
    unseen.push_back("Busiest links of the step the event engine simulated (all traffic, streams included):");
    for (std::size_t i = 0; i < r.busiest_links.size() && i < 5; ++i)
      unseen.push_back(
          fmt::format("  {} {}{}", pct(r.busiest_links[i].utilisation), r.busiest_links[i].name,
                      r.busiest_links[i].alike > 0 ? fmt::format(" (and {} alike)", r.busiest_links[i].alike) : std::string()));
  }
  const double notes_y = kTop + grid_h + 50;
  const double height =
      std::max(notes_y + 22.0 * static_cast<double>(notes.size() + loads.beyond.size() + unseen.size() + 4), kTop + 520.0);

  Canvas cv;
  auto node_x = [&](int tc, int c) { return kLeft + tc * (tile_w + kGap) + c * kPitch + kPitch / 2; };
  auto node_y = [&](int tr, int rr) { return kTop + tr * (tile_h + kGap) + rr * kPitch + kPitch / 2; };

  // Tiles, D1s and their labels.
  for (int tr = 0; tr < TR; ++tr)
    for (int tc = 0; tc < TC; ++tc) {
      const double x0 = kLeft + tc * (tile_w + kGap), y0 = kTop + tr * (tile_h + kGap);
      cv.body += fmt::format(
          "<rect class=\"tile\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#f7f7f2\" "
          "stroke=\"#555\" stroke-width=\"2\" rx=\"6\"/>\n",
          x0 - 6, y0 - 6, tile_w + 12, tile_h + 12);
      cv.text(x0, y0 - 12, tray ? fmt::format("{} ({},{})", tile_name, tr, tc) : tile_name, 13, "start", " font-weight=\"bold\"");
      for (int rr = 0; rr < R; ++rr)
        for (int c = 0; c < C; ++c) {
          const double x = node_x(tc, c), y = node_y(tr, rr);
          cv.body += fmt::format(
              "<rect class=\"node\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\" "
              "stroke=\"#333\" rx=\"3\"/>\n",
              x - kNode / 2, y - kNode / 2, kNode, kNode);
          cv.text(x, y + 4, fmt::format("{},{}", rr, c), 10, "middle");
        }
    }

  // D1-to-D1 links, one line per direction, offset to the side of travel.
  const double bw0 = L0.bandwidth;
  double max_d1 = 0, max_tile = 0;
  for (int tr = 0; tr < TR; ++tr)
    for (int tc = 0; tc < TC; ++tc)
      for (int rr = 0; rr < R; ++rr)
        for (int c = 0; c < C; ++c)
          for (mesh::Dir d : {mesh::Dir::east, mesh::Dir::west, mesh::Dir::south, mesh::Dir::north}) {
            if (!loads.tile.exists({rr, c}, d)) continue;
            const double bytes = loads.tile.at({rr, c}, d);
            const double u = T > 0 ? bytes / (bw0 * T) : 0.0;
            const double x = node_x(tc, c), y = node_y(tr, rr), h = kNode / 2 + 3, o = 6;
            double x1 = x, y1 = y, x2 = x, y2 = y;
            int r2 = rr, c2 = c;
            switch (d) {
              case mesh::Dir::east:
                x1 = x + h;
                x2 = x + kPitch - h;
                y1 = y2 = y - o;
                c2 = c + 1;
                break;
              case mesh::Dir::west:
                x1 = x - h;
                x2 = x - kPitch + h;
                y1 = y2 = y + o;
                c2 = c - 1;
                break;
              case mesh::Dir::south:
                y1 = y + h;
                y2 = y + kPitch - h;
                x1 = x2 = x + o;
                r2 = rr + 1;
                break;
              case mesh::Dir::north:
                y1 = y - h;
                y2 = y - kPitch + h;
                x1 = x2 = x - o;
                r2 = rr - 1;
                break;
            }
            max_d1 = std::max(max_d1, u);
            cv.line(
                x1, y1, x2, y2, colour(u), 4, "link d1-link",
                fmt::format("{} ({},{}) -> ({},{}): {} in {}, {} of {}", child, rr, c, r2, c2, format_quantity(bytes, Dim::bytes),
                            format_quantity(T, Dim::seconds), pct(u), format_quantity(bw0, Dim::byte_rate)),
                "arrow");
          }

  // Tile-to-tile edge links.
  if (tray) {
    const double bw1 = sys.levels[1].bandwidth;
    for (int tr = 0; tr < TR; ++tr)
      for (int tc = 0; tc < TC; ++tc)
        for (mesh::Dir d : {mesh::Dir::east, mesh::Dir::west, mesh::Dir::south, mesh::Dir::north}) {
          if (!loads.tray.exists({tr, tc}, d)) continue;
          const double bytes = loads.tray.at({tr, tc}, d);
          const double u = T > 0 ? bytes / (bw1 * T) : 0.0;
          const double x0 = kLeft + tc * (tile_w + kGap), y0 = kTop + tr * (tile_h + kGap);
          const double cx = x0 + tile_w / 2, cy = y0 + tile_h / 2, o = 12;
          double x1 = cx, y1 = cy, x2 = cx, y2 = cy;
          int r2 = tr, c2 = tc;
          switch (d) {
            case mesh::Dir::east:
              x1 = x0 + tile_w + 8;
              x2 = x0 + tile_w + kGap - 8;
              y1 = y2 = cy - o;
              c2 = tc + 1;
              break;
            case mesh::Dir::west:
              x1 = x0 - 8;
              x2 = x0 - kGap + 8;
              y1 = y2 = cy + o;
              c2 = tc - 1;
              break;
            case mesh::Dir::south:
              y1 = y0 + tile_h + 8;
              y2 = y0 + tile_h + kGap - 8;
              x1 = x2 = cx + o;
              r2 = tr + 1;
              break;
            case mesh::Dir::north:
              y1 = y0 - 8;
              y2 = y0 - kGap + 8;
              x1 = x2 = cx - o;
              r2 = tr - 1;
              break;
          }
          max_tile = std::max(max_tile, u);
          cv.line(x1, y1, x2, y2, colour(u), 12, "link tile-link",
                  fmt::format("{} ({},{}) -> ({},{}): {} in {}, {} of {}", tile_name, tr, tc, r2, c2,
                              format_quantity(bytes, Dim::bytes), format_quantity(T, Dim::seconds), pct(u),
                              format_quantity(bw1, Dim::byte_rate)),
                  "arrow-big");
        }
  }

  // DIPs on the outer edges (a tile: one edge; a tray: the outer left and right tile edges),
  // coloured by their TTPoE Z-plane utilisation.
  if (sys.dip.count > 0) {
    const double devices_drawn = static_cast<double>(R * C * TR * TC);
    const double dips_drawn = std::round(sys.dip.count * devices_drawn / static_cast<double>(sys.device_count()));
    const int edges = tray ? 2 * TR : 1;
    const int per_edge = static_cast<int>(std::ceil(dips_drawn / edges));
    const double u = T > 0 && dips_drawn > 0 && sys.dip.ethernet_bandwidth > 0
                         ? loads.zplane_per_device * devices_drawn / dips_drawn / (sys.dip.ethernet_bandwidth * T)
                         : 0.0;
    int placed = 0;
    for (int e = 0; e < edges && placed < static_cast<int>(dips_drawn); ++e) {
      const int tr = e % TR;
      const bool right = e >= TR;
      const double x = right ? kLeft + grid_w + 18 : kLeft - 52;
      const double y0 = kTop + tr * (tile_h + kGap);
      for (int i = 0; i < per_edge && placed < static_cast<int>(dips_drawn); ++i, ++placed) {
        const double y = y0 + (i + 0.5) * tile_h / per_edge;
        cv.body += fmt::format(
            "<rect class=\"dip\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"34\" height=\"16\" fill=\"{}\" stroke=\"#333\">"
            "<title>DIP: Z-plane (TTPoE) {} of {}</title></rect>\n",
            x, y - 8, colour(u), pct(u), format_quantity(sys.dip.ethernet_bandwidth, Dim::byte_rate));
        cv.text(x + 17, y + 4, "DIP", 9, "middle", u > 0.45 ? " fill=\"#fff\"" : "");
      }
    }
  }

  // Legend.
  const double lx = kLeft + grid_w + 90, ly = kTop;
  cv.text(lx, ly, "Link utilisation", 14, "start", " font-weight=\"bold\"");
  cv.text(lx, ly + 18, "bytes on a directed link divided by", 11);
  cv.text(lx, ly + 32, "(its bandwidth per direction x time)", 11);
  const double gy = ly + 14;  // gradient bar and everything below it, shifted for the two-line caption
  cv.body += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"240\" height=\"16\" fill=\"url(#scale)\" stroke=\"#333\"/>\n",
                         lx, gy + 30);
  for (int i = 0; i <= 4; ++i) {
    const double x = lx + 60.0 * i;
    cv.body +=
        fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333\"/>\n", x, gy + 46, x, gy + 51);
    cv.text(x, gy + 63, fmt::format("{}%", 25 * i), 11, "middle");
  }
  cv.body += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"16\" height=\"12\" fill=\"{}\" stroke=\"#333\"/>\n", lx,
                         gy + 76, kIdle);
  cv.text(lx + 22, gy + 86, "idle (0 bytes)", 11);
  double y = gy + 112;
  auto legend_line = [&](const std::string& s) {
    cv.text(lx, y, s, 11);
    y += 16;
  };
  legend_line(fmt::format("{}-{} links: {} per direction", child, child, format_quantity(bw0, Dim::byte_rate)));
  if (tray)
    legend_line(fmt::format("{}-{} edges: {} per direction", tile_name, tile_name,
                            format_quantity(sys.levels[1].bandwidth, Dim::byte_rate)));
  if (sys.dip.count > 0)
    legend_line(fmt::format("DIP colour: its TTPoE Ethernet, {}", format_quantity(sys.dip.ethernet_bandwidth, Dim::byte_rate)));
  legend_line("Arrows point the way data flows;");
  legend_line("each link has one arrow per direction.");
  legend_line(fmt::format("Labels: {} row,col in its {}.", child, tile_name));
  if (tray) legend_line(fmt::format("{}-to-{} traffic is drawn on the", tile_name, tile_name));
  if (tray) legend_line(fmt::format("edge arrows, not on the {}s it crosses.", child));
  legend_line(fmt::format("Every {} of each group kind", tray ? "instance" : "copy"));
  legend_line("runs at once; copies whose whole");
  legend_line("sub-rectangle fits are drawn.");
  if (sys.dip.count > 0) legend_line("DIP positions: assumption (docs/dojo.md).");
  legend_line("Hover a link for bytes and %.");

  // Notes: what each group does, and traffic leaving the picture.
  cv.text(kLeft, notes_y, "Groups (collective per call; each level: path, algorithm, sub-rectangle)", 12, "start",
          " font-weight=\"bold\"");
  double ny = notes_y + 20;
  for (const auto& n : notes) {
    cv.text(kLeft, ny, n, 11);
    ny += 18;
  }
  if (!loads.beyond.empty()) {
    cv.text(kLeft, ny + 4, "Traffic above the drawn level (per device):", 12, "start", " font-weight=\"bold\"");
    ny += 24;
    for (const auto& n : loads.beyond) {
      cv.text(kLeft, ny, n, 11);
      ny += 18;
    }
  }
  if (!unseen.empty()) ny += 6;
  for (const auto& n : unseen) {
    cv.text(kLeft, ny, n, 11);
    ny += 18;
  }

  // Header and assembly.
  std::string o;
  o += fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "viewBox=\"0 0 {:.0f} {:.0f}\" font-family=\"Helvetica, Arial, sans-serif\">\n",
      width, height, width, height);
  o +=
      "<defs>\n<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" "
      "markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker>\n"
      "<marker id=\"arrow-big\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"16\" "
      "markerHeight=\"16\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker>\n<linearGradient id=\"scale\" "
      "x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">\n";
  for (const auto& s : kScale)
    o += fmt::format("<stop offset=\"{:.2f}\" stop-color=\"{}\"/>\n", s.at, colour(std::max(s.at, 1e-9)));
  o += "</linearGradient>\n</defs>\n";
  o += fmt::format("<rect width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n", width, height);
  Canvas head;
  head.text(kLeft - 50, 32,
            fmt::format("{} on {}: the 2D mesh of {}{}", model_name, sys.name,
                        tray ? fmt::format("one {} ({}x{} {}s of {}x{} {})", sys.levels[1].name, TR, TC, tile_name, R, C, child)
                             : fmt::format("one {} ({}x{} {})", tile_name, R, C, child),
                        whole_step ? "" : fmt::format(", {} collective", only->name)),
            18, "start", " font-weight=\"bold\"");
  head.text(kLeft - 50, 54, fmt::format("strategy {}", r.strategy.spec()), 12);
  head.text(kLeft - 50, 72,
            whole_step ? fmt::format("Link utilisation over one training step of {}", format_quantity(r.step_time, Dim::seconds))
                       : fmt::format("Link utilisation during one {} {} of {} ({} per call)", only->name,
                                     collective::op_name(only->comm->traffic[0].op),
                                     format_quantity(only->comm->traffic[0].bytes, Dim::bytes), format_quantity(T, Dim::seconds)),
            13);
  head.text(kLeft - 50, 90,
            tray ? fmt::format("busiest {}-{} link {}, busiest {} edge {}", child, child, pct(max_d1), tile_name, pct(max_tile))
                 : fmt::format("busiest {}-{} link {}", child, child, pct(max_d1)),
            12);
  o += head.body;
  o += cv.body;
  o += "</svg>\n";
  return o;
}

}  // namespace dojosim::report
