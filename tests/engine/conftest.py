import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(autouse=True)
def _quiet_pysd():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
