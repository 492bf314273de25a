// The `anglevec` executable: everything lives in CLIKit so that tests can import it.
import Foundation
import CLIKit

exit(AnglevecCommandLine.run(Array(CommandLine.arguments.dropFirst())))
