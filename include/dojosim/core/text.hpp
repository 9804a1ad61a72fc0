// Small text helpers shared by the parsers: edit distance and "did you mean" suggestions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dojosim::core {

// Levenshtein distance, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` if it is close enough to be a plausible typo
// (distance <= max(2, |word|/3)), else "". Ties go to the first candidate.
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — for appending to messages.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Printable form of a name read from a file: bytes outside printable ASCII become '?', at
// most 80 characters (then "..."); "<unnamed>" when empty. Random bytes must not garble a terminal.
std::string printable(std::string_view s);

std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace dojosim::core
