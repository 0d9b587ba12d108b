// A Swift application evaluated by Assay as a command: it reads one row as JSON on standard input
// and prints its answer as JSON (Assay's application protocol). See QAApp.swift.
import Assay
import Foundation

exit(await ApplicationProtocol.serve { row in QAApp.answer(row) })
