// The compiled half of `import dojosim` (python/dojosim/__init__.py is the other): each
// function takes the command's arguments already normalised to strings and lists of
// strings, calls the same api:: function the CLI calls with the GIL released, and
// returns the command's JSON as Python objects. core::Error subclasses become
// dojosim.InputError / Unsupported / Infeasible carrying the same located message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "dojosim/api/api.hpp"
#include "dojosim/core/errors.hpp"
#include "dojosim/report/html.hpp"

namespace py = pybind11;
using dojosim::api::Json;

namespace {

// JSON -> Python objects, as json.loads would read the CLI's output: dicts keep the key
// order; NaN and infinities (which nlohmann::json prints as null) become None.
py::object to_py(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return py::none();
    case Json::value_t::boolean: return py::bool_(j.get<bool>());
    case Json::value_t::number_integer: return py::int_(j.get<long long>());
    case Json::value_t::number_unsigned: return py::int_(j.get<unsigned long long>());
    case Json::value_t::number_float: {
      const double v = j.get<double>();
      if (!std::isfinite(v)) return py::none();  // as the CLI prints them: null
      return py::float_(v);
    }
    case Json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case Json::value_t::array: {
      py::list l;
      for (const auto& e : j) l.append(to_py(e));
      return l;
    }
    case Json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[py::str(k)] = to_py(v);
      return d;
    }
    default: return py::none();
  }
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out || !(out << text) || !out.flush())
    throw dojosim::core::InputError({path, 0, 0, ""}, "cannot write '" + path + "'", "a writable file path");
}

dojosim::api::ModelArgs model_args(const std::string& system, const std::string& model, const std::string& parallel,
                                   long long seq, const std::string& precision, const std::vector<std::string>& sets,
                                   const std::string& stack) {
  dojosim::api::ModelArgs a;
  a.system = system;
  a.model = model;
  a.parallel = parallel;
  a.seq = seq;
  a.precision = precision;
  a.sets = sets;
  a.stack = stack;
  return a;
}

py::object run(const std::string& system, const std::string& model, const std::string& parallel, long long seq,
               const std::string& precision, const std::vector<std::string>& sets, const std::string& stack,
               const std::string& engine, const std::string& html) {
  Json j;
  {
    py::gil_scoped_release unlocked;
    dojosim::api::RunArgs a;
    static_cast<dojosim::api::ModelArgs&>(a) = model_args(system, model, parallel, seq, precision, sets, stack);
    a.engine = engine;
    a.timeline = !html.empty();
    a.timeline_optional = true;
    const auto out = dojosim::api::run(a);
    j = out.json();
    if (!html.empty())
      write_file(html, dojosim::report::run_html(j, out.model_name,
                                                 dojosim::report::mesh_svg_if_dojo(out.result, out.sys, out.model_name),
                                                 out.has_timeline ? &out.timeline : nullptr));
  }
  return to_py(j);
}

py::object search(const std::string& system, const std::string& model, const std::string& parallel, long long seq,
                  const std::string& precision, const std::vector<std::string>& sets, const std::string& stack,
                  const std::string& objective, int top, int threads, const std::string& html) {
  Json j;
  {
    py::gil_scoped_release unlocked;
    dojosim::api::SearchArgs a;
    static_cast<dojosim::api::ModelArgs&>(a) = model_args(system, model, parallel, seq, precision, sets, stack);
    a.objective = objective;
    a.top = top;
    a.threads = threads;
    j = dojosim::api::search(a).json();
    if (!html.empty()) write_file(html, dojosim::report::search_html(j));
  }
  return to_py(j);
}

py::object compare(const std::vector<std::string>& systems, const std::string& model, const std::string& parallel, long long seq,
                   const std::string& precision, const std::vector<std::string>& sets, const std::vector<std::string>& stacks,
                   double tokens, const std::string& reference, const std::string& html) {
  Json j;
  {
    py::gil_scoped_release unlocked;
    dojosim::api::CompareArgs a;
    a.systems = systems;
    a.model = model;
    a.parallel = parallel;
    a.seq = seq;
    a.precision = precision;
    a.sets = sets;
    a.stacks = stacks;
    a.tokens = tokens;
    a.reference = reference;
    j = dojosim::api::compare(a).json();
    if (!html.empty()) write_file(html, dojosim::report::compare_html(j));
  }
  return to_py(j);
}

template <class F>
py::object unlocked_json(F&& f) {
  Json j;
  {
    py::gil_scoped_release unlocked;
    j = f();
  }
  return to_py(j);
}

// A sweep's progress callback (called on this thread after each commit, about every
// 0.25 s while points finish): runs Python's signal handlers, so Ctrl-C or an alarm stops
// the sweep as it stops the CLI. A handler's exception (KeyboardInterrupt, ...) is thrown
// through the sweep, which stops its threads and keeps every committed point (resumable).
void stop_on_python_signal(const dojosim::explore::Progress& /*progress*/) {
  const py::gil_scoped_acquire locked;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// A Python exception type `name` deriving from `base`, with docstring `doc`, owned by the module.
py::object exception_type(py::module_& m, const char* name, PyObject* base, const char* doc) {
  py::object t =
      py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc((std::string("dojosim.") + name).c_str(), doc, base, nullptr));
  m.attr(name) = t;
  return t;
}

}  // namespace

PYBIND11_MODULE(_dojosim, m) {
  m.doc() = "dojosim: a simulator and planner of large-scale training (compiled core; use the dojosim package)";
  // Types live for the life of the interpreter (the module holds a reference too).
  // The docstrings say what the CLI's exit codes say (core/errors.hpp).
  static PyObject* error =
      exception_type(m, "Error", PyExc_Exception,
                     "A dojosim error: str(e) is what the CLI prints; the parts are the attributes message, expected, "
                     "suggestion, file, line, column, key_path and exit_code.")
          .release()
          .ptr();
  static PyObject* input = exception_type(m, "InputError", error,
                                          "Bad input (exit code 2): a malformed file, an unknown name or key, a wrong "
                                          "unit or value; suggestion says how to fix it.")
                               .release()
                               .ptr();
  static PyObject* unsupported =
      exception_type(m, "Unsupported", input,
                     "Valid input asking for something dojosim does not model (exit code 2); an InputError.")
          .release()
          .ptr();
  static PyObject* infeasible = exception_type(m, "Infeasible", error,
                                               "Valid input that cannot run, e.g. no strategy fits in memory "
                                               "(exit code 3); not an InputError.")
                                    .release()
                                    .ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    auto raise = [](PyObject* type, const dojosim::core::Error& e) {
      py::object exc = py::reinterpret_steal<py::object>(PyObject_CallFunction(type, "s", e.what()));
      if (!exc) return;  // the call set its own error
      const auto& loc = e.location();
      exc.attr("message") = e.message();
      exc.attr("expected") = e.expected();
      exc.attr("suggestion") = e.suggestion();
      exc.attr("file") = loc.file;
      exc.attr("line") = loc.line;
      exc.attr("column") = loc.column;
      exc.attr("key_path") = loc.key_path;
      exc.attr("exit_code") = e.exit_code();
      PyErr_SetObject(type, exc.ptr());
    };
    try {
      if (p) std::rethrow_exception(p);
    } catch (const dojosim::core::Unsupported& e) { raise(unsupported, e); } catch (const dojosim::core::InputError& e) {
      raise(input, e);
    } catch (const dojosim::core::Infeasible& e) { raise(infeasible, e); } catch (const dojosim::core::Error& e) {
      raise(error, e);
    }
  });

  m.def("run", &run, py::arg("system"), py::arg("model"), py::arg("parallel"), py::arg("seq"), py::arg("precision"),
        py::arg("sets"), py::arg("stack"), py::arg("engine"), py::arg("html"));
  m.def("search", &search, py::arg("system"), py::arg("model"), py::arg("parallel"), py::arg("seq"), py::arg("precision"),
        py::arg("sets"), py::arg("stack"), py::arg("objective"), py::arg("top"), py::arg("threads"), py::arg("html"));
  m.def("compare", &compare, py::arg("systems"), py::arg("model"), py::arg("parallel"), py::arg("seq"), py::arg("precision"),
        py::arg("sets"), py::arg("stack"), py::arg("tokens"), py::arg("reference"), py::arg("html"));
  m.def(
      "validate",
      [](const std::string& path, const std::string& stack) {
        return unlocked_json([&] { return dojosim::api::validate(path, stack).json; });
      },
      py::arg("path"), py::arg("stack"));
  m.def(
      "show",
      [](const std::string& kind, const std::string& name, const std::vector<std::string>& sets) {
        return unlocked_json([&] { return dojosim::api::show(kind, name, sets); });
      },
      py::arg("kind"), py::arg("name"), py::arg("sets"));
  m.def(
      "list", [](const std::string& what) { return unlocked_json([&] { return dojosim::api::list(what); }); }, py::arg("what"));
  m.def(
      "sweep",
      [](const std::string& space, const std::string& db, const std::string& stack, bool resume, int threads) {
        return unlocked_json([&] {
          dojosim::api::SweepArgs a{space, db, stack, resume, threads, stop_on_python_signal};
          return dojosim::api::sweep(a, DOJOSIM_VERSION).json();
        });
      },
      py::arg("space"), py::arg("db"), py::arg("stack"), py::arg("resume"), py::arg("threads"));
  m.def(
      "sweep_rows",
      [](const std::string& db, const std::string& html) {
        return unlocked_json([&] {
          if (!html.empty()) write_file(html, dojosim::report::sweep_html(dojosim::api::sweep_report(db)));
          return dojosim::api::sweep_rows(db);
        });
      },
      py::arg("db"), py::arg("html"));
  m.attr("__version__") = DOJOSIM_VERSION;
}
