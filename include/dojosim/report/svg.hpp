// A picture of Dojo's 2D-mesh fabric with each directed link coloured by utilisation:
// bytes on the link / (link bandwidth per direction x time), over one training step or over
// one call of a chosen group's collective.
//
// What is drawn: the first mesh level (a training tile's 5 x 5 D1s); when the next level is
// a mesh too (tray, cabinet, ExaPOD systems), one instance of it (a tray's 2 x 3 tiles) with
// tile boundaries, the tile-to-tile edge links, and the DIPs on the outer edges coloured by
// their Z-plane (TTPoE) utilisation. Traffic of levels above the drawn one is summarised in
// text. Link loads come from collective::mesh::add_all_groups on the placements the engine
// recorded (Result::comm), every group of each kind running at once.
//
// Contract: deterministic (same inputs, same bytes); well-formed XML; one element with
// class "link" per directed link drawn. Throws core::InputError for an unknown group name
// and core::Unsupported for a system without a 2D-mesh level or a group with one member.
#pragma once

#include <string>

#include "dojosim/engine/engine.hpp"

namespace dojosim::report {

// Group names accepted by `collective`: "" (the whole step) or tp, cp, ep, pp, dp.
std::string mesh_svg(const engine::Result& r, const hardware::System& sys, const std::string& model_name,
                     const std::string& collective = "");

}  // namespace dojosim::report
