// Registration entry points of the kernel benchmark groups (called from bench_main.cpp).
#pragma once

namespace cbk::bench {

void register_search_benchmarks();
void register_ops_benchmarks();
void register_protonet_benchmarks();

}  // namespace cbk::bench
