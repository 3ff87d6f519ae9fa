import pytest

from sim import Department, ModelParams

SMALL_DEPARTMENTS = (Department("call_center", 30), Department("sales", 20), Department("operations", 20))


@pytest.fixture
def small_params() -> ModelParams:
    """A small organization (about 80 staff, 200 customers) for fast tests."""
    return ModelParams(departments=SMALL_DEPARTMENTS, n_customers=200)
