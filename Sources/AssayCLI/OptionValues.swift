public import ArgumentParser
public import Assay

// The library's option types as command-line values: `--help` lists them and ArgumentParser rejects
// anything else, naming the choices.
extension ModelType: ExpressibleByArgument {}
extension RougeTokenizer: ExpressibleByArgument {}
extension Dataset.Format: ExpressibleByArgument {}
