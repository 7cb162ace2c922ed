"""The open states named in the models (for the monitoring room's partial indexes) are the
workflow's open states: a state added to one and not the other would drop cases from lists."""

from fengqiao.cases.models import OPEN_STATES
from fengqiao.cases.workflow import OPEN


def test_the_models_open_states_are_the_workflows():
    assert set(OPEN_STATES) == {str(s) for s in OPEN}
