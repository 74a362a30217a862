"""Differences between ksave and real TensorFlow/Keras that the suite has found and that are not
fixed yet, each with the reason as measured.

Every entry turns the matching tests into strict expected failures: the test still runs, a
listed case that starts passing fails the run ("XPASS(strict)") until its entry is removed, and
a case not listed here fails as usual. The README's interop table counts these as open.

Patterns are fnmatch patterns over pytest's test names, e.g.
"test_keras_reads_ksave_model[lstm-h5]".
"""

KNOWN = {
    # file name: {pattern: reason}
}


def reason_for(file_name, test_name):
    import fnmatch
    for pattern, reason in KNOWN.get(file_name, {}).items():
        if fnmatch.fnmatchcase(test_name, pattern):
            return reason
    return None
