// `cbk dkvb-eval MODEL.cbk FILE [--tasks ...] [--json] [steering]`: the accuracy of a DKVB classifier
// on a labelled set (one input per line, the class label first), over all inputs, per class and per
// task of a class-incremental stream. The tasks come from --tasks or the file's metadata
// "dkvb.tasks" (e.g. "0,4/1,5/2,6/3,7").
#include <cstdio>
#include <sstream>

#include "tools/cli/api_util.hpp"
#include "tools/cli/classify.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/json_writer.hpp"

namespace cbk::cli {
namespace {

constexpr const char* kDkvbEvalUsage =
    "usage: cbk dkvb-eval MODEL.cbk FILE [--tasks C,C/C,C/...] [--json] [steering]\n"
    "  Accuracy of a DKVB classifier on FILE: one input per line, its class label first, then\n"
    "  the input's numbers. Reports all inputs, each class and each task.\n"
    "  --tasks SPEC   the classes of each task, tasks separated by '/' (default: the file's\n"
    "                 metadata dkvb.tasks, if any)\n"
    "  --json         one JSON object on stdout\n";

bool parse_tasks(const std::string& spec, std::uint32_t classes, std::vector<std::vector<std::int32_t>>* out) {
  std::istringstream in(spec);
  std::string task;
  while (std::getline(in, task, '/')) {
    std::vector<std::int32_t> ids;
    if (!parse_ids(task, &ids) || ids.empty()) return false;
    for (std::int32_t c : ids)
      if (c < 0 || static_cast<std::uint32_t>(c) >= classes) return false;
    out->push_back(ids);
  }
  return !out->empty();
}

}  // namespace

int run_dkvb_eval(const std::vector<std::string>& args) {
  ClassifyOptions o;
  std::vector<std::string> pos;
  std::string tasks_spec;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string error;
    const int steering = parse_steering_flag(args, &i, &o, &error);
    if (steering < 0) return usage_error("dkvb-eval", error, kDkvbEvalUsage);
    if (steering > 0) continue;
    if (arg == "-h" || arg == "--help") {
      std::printf("%s%s", kDkvbEvalUsage, kSteeringFlagsUsage);
      return kExitOk;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--tasks") {
      if (i + 1 >= args.size()) return usage_error("dkvb-eval", "--tasks needs a value", kDkvbEvalUsage);
      tasks_spec = args[++i];
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("dkvb-eval", "unknown option '" + arg + "'", kDkvbEvalUsage);
    } else {
      pos.push_back(arg);
    }
  }
  if (pos.size() != 2) return usage_error("dkvb-eval", "expected MODEL.cbk and FILE", kDkvbEvalUsage);
  o.model_path = pos[0];
  o.input_path = pos[1];

  cbk_status st = CBK_STATUS_OK;
  model_ptr model = load_model(o.model_path.c_str(), nullptr, &st);
  if (!model) return api_failure("dkvb-eval", st);
  cbk_dkvb_info info = sized<cbk_dkvb_info>();
  if ((st = cbk_model_dkvb_info(model.get(), &info))) return api_failure("dkvb-eval", st);
  const char* meta_tasks = nullptr;
  if (tasks_spec.empty() && cbk_model_metadata(model.get(), "dkvb.tasks", &meta_tasks) == CBK_STATUS_OK)
    tasks_spec = meta_tasks;
  std::vector<std::vector<std::int32_t>> tasks;
  if (!tasks_spec.empty() && !parse_tasks(tasks_spec, info.classes, &tasks))
    return usage_error("dkvb-eval", "--tasks '" + tasks_spec + "': classes below " + std::to_string(info.classes) +
                                        ", comma separated, tasks separated by '/'", kDkvbEvalUsage);
  Vectors data;
  std::string error;
  if (!read_vectors(o.input_path, true, &data, &error)) return failure("dkvb-eval", error);
  for (std::size_t r = 0; r < data.rows(); ++r)
    if (static_cast<std::uint32_t>(data.labels[r]) >= info.classes)
      return failure("dkvb-eval", o.input_path + ": input " + std::to_string(r) + " has label " +
                                      std::to_string(data.labels[r]) + " but the model has " +
                                      std::to_string(info.classes) + " classes");
  dkvb_ptr d = steered_dkvb(model.get(), o, "dkvb-eval");
  if (!d) return kExitFailure;
  const std::size_t rows = data.rows();
  std::vector<float> logits(rows * info.classes);
  if ((st = cbk_dkvb_classify(d.get(), data.values.data(), rows, data.width, nullptr, 0, logits.data(), logits.size())))
    return api_failure("dkvb-eval", st);

  std::vector<std::size_t> seen(info.classes, 0), right(info.classes, 0);
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t b = 0;
    for (std::size_t k = 1; k < info.classes; ++k) b = logits[r * info.classes + k] > logits[r * info.classes + b] ? k : b;
    ++seen[data.labels[r]];
    right[data.labels[r]] += b == static_cast<std::size_t>(data.labels[r]);
  }
  std::size_t correct = 0;
  for (std::size_t c = 0; c < info.classes; ++c) correct += right[c];
  auto rate = [](std::size_t a, std::size_t n) { return n ? static_cast<double>(a) / static_cast<double>(n) : 0.0; };
  std::vector<std::pair<std::size_t, std::size_t>> task_counts;
  for (const auto& task : tasks) {
    std::size_t a = 0, n = 0;
    for (std::int32_t c : task) a += right[c], n += seen[c];
    task_counts.emplace_back(a, n);
  }
  if (o.json) {
    JsonWriter j;
    j.begin_object().field("model", o.model_path).field("file", o.input_path)
        .field("inputs", static_cast<std::uint64_t>(rows)).field("correct", static_cast<std::uint64_t>(correct))
        .field("accuracy", rate(correct, rows)).key("per_class").begin_array();
    for (std::size_t c = 0; c < info.classes; ++c)
      j.begin_object().field("class", static_cast<std::uint64_t>(c)).field("inputs", static_cast<std::uint64_t>(seen[c]))
          .field("accuracy", rate(right[c], seen[c])).end_object();
    j.end_array().key("per_task").begin_array();
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      j.begin_object().key("classes").begin_array();
      for (std::int32_t c : tasks[t]) j.value(static_cast<std::int64_t>(c));
      j.end_array().field("inputs", static_cast<std::uint64_t>(task_counts[t].second))
          .field("accuracy", rate(task_counts[t].first, task_counts[t].second)).end_object();
    }
    j.end_array().end_object();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%zu inputs, %u classes: accuracy %.2f%% (%zu/%zu)\n", rows, info.classes, 100.0 * rate(correct, rows),
              correct, rows);
  std::printf("per class:");
  for (std::size_t c = 0; c < info.classes; ++c) std::printf(" %zu:%.1f%%", c, 100.0 * rate(right[c], seen[c]));
  std::printf("\n");
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    std::printf("task %zu (classes", t + 1);
    for (std::int32_t c : tasks[t]) std::printf(" %d", c);
    std::printf("): %.2f%% of %zu\n", 100.0 * rate(task_counts[t].first, task_counts[t].second), task_counts[t].second);
  }
  return kExitOk;
}

}  // namespace cbk::cli
