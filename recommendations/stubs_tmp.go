package recommendations

func fillfactorRule(f *facts, out *output)   {}
func autovacuumRule(f *facts, out *output)   {}
func partitioningRule(f *facts, out *output) {}
func configRule(f *facts, out *output)       {}
func applicationRule(f *facts, out *output)  {}
