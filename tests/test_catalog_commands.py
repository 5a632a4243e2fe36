"""topi_sync_catalog (JSON batches, 413 halving, 422 narrowing, dry run, CSV job) and
topi_check_products, as an operator sees them: calls made and the summary printed."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
import responses
from django.core.management.base import CommandError

from tests import openapi_spec
from tests.catalog_helpers import (
    CHECK_URL,
    IMPORT_URL,
    IMPORTS_URL,
    JOB_ID,
    PRICES_URL,
    UPLOAD_URL,
    Terminal,
    body,
    laptop,
    numbered,
    prices_callback,
    run,
    use_catalog,
)
from tests.conftest import api_calls

JOB_URL = f"{IMPORTS_URL}/{JOB_ID}"


def import_calls(mocked: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in api_calls(mocked) if c.request.url == IMPORT_URL]


def batch_sizes(mocked: responses.RequestsMock) -> list[int]:
    return [len(body(c)["products"]) for c in import_calls(mocked)]


def topi_importing(*, too_many_over: int | None = None, refused: frozenset[str] = frozenset()):
    """A topi that imports every batch, answers 413 above ``too_many_over`` products, and 422
    for any batch holding a product titled in ``refused``."""

    def answer(request):
        products = json.loads(request.body)["products"]
        if too_many_over is not None and len(products) > too_many_over:
            return 413, {}, json.dumps({"name": "TooManyProducts", "message": "too many"})
        if refused & {p["title"] for p in products}:
            return 422, {}, json.dumps({"name": "Unprocessable", "message": "bad product"})
        summary = {"total_products": len(products), "total_products_imported": len(products),
                   "total_products_rejected": 0, "sample_products_rejected": []}  # fmt: skip
        return 200, {}, json.dumps({"id": JOB_ID, "status": "completed", "summary": summary})

    return answer


@pytest.fixture
def catalog(settings, monkeypatch):
    def use(products):
        use_catalog(settings, monkeypatch, products)

    return use


# -- JSON batches --------------------------------------------------------------------------------


def test_the_catalog_goes_to_topi_in_batches_of_the_configured_size(mocked, catalog, settings):
    settings.TOPI = {**settings.TOPI, "CATALOG_BATCH_SIZE": 100}
    catalog(numbered(250))
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing())

    out = run("topi_sync_catalog")

    assert batch_sizes(mocked) == [100, 100, 50]
    assert "Read 250 products: 250 valid, 0 invalid." in out
    assert "Sent 250 products in 3 calls: imported 250, rejected 0" in out
    assert out.rstrip().endswith("Done.")


def test_the_catalog_is_read_lazily_one_batch_at_a_time(mocked, catalog):
    read = []

    def products():
        for product in numbered(25):
            read.append(product.title)
            yield product

    def answer(request):
        calls_read.append(len(read))
        return topi_importing()(request)

    calls_read: list[int] = []
    catalog(products())
    mocked.add_callback(responses.POST, IMPORT_URL, callback=answer)

    run("topi_sync_catalog", "--batch-size", "10")

    assert calls_read == [10, 20, 25]


def test_a_413_halves_the_batch_and_carries_on(mocked, catalog):
    catalog(numbered(200))
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing(too_many_over=40))

    out = run("topi_sync_catalog", "--batch-size", "100")

    assert batch_sizes(mocked) == [100, 50, 25, 25, 50, 25, 25, 25, 25, 25, 25]
    assert "Sent 200 products in 11 calls: imported 200, rejected 0" in out
    assert "the batch size went down to 25. Set TOPI['CATALOG_BATCH_SIZE'] = 25" in out


def test_a_product_too_large_even_alone_is_rejected(mocked, catalog):
    catalog([laptop(), laptop(title="Huge", references=["huge"], description="x" * 2000)])

    def answer(request):
        if any(p["title"] == "Huge" for p in json.loads(request.body)["products"]):
            return 413, {}, json.dumps({"name": "TooManyProducts", "message": "too large"})
        return topi_importing()(request)

    mocked.add_callback(responses.POST, IMPORT_URL, callback=answer)

    out = run("topi_sync_catalog")

    assert batch_sizes(mocked) == [2, 1, 1]
    assert "imported 1, rejected 1 (0 invalid here, 1 by topi)" in out
    assert "shop:huge (Huge): topi refuses even this product alone as too large (HTTP 413)" in out


def test_a_422_is_narrowed_down_to_the_products_topi_refuses(mocked, catalog):
    products = list(numbered(8))
    products[5].title = "Refused"
    catalog(products)
    mocked.add_callback(
        responses.POST, IMPORT_URL, callback=topi_importing(refused=frozenset({"Refused"}))
    )

    out = run("topi_sync_catalog")

    assert batch_sizes(mocked) == [8, 4, 4, 2, 1, 1, 2]
    assert "imported 7, rejected 1 (0 invalid here, 1 by topi)" in out
    assert "shop:sku-5 (Refused): topi refused it (HTTP 422) Unprocessable: bad product" in out


def test_a_batch_refused_product_by_product_stops_the_sync(mocked, catalog):
    catalog(numbered(10))
    mocked.post(IMPORT_URL, status=422, json={"name": "Unprocessable", "message": "no catalog"})

    with pytest.raises(CommandError, match="Stopped: topi POST /v1/catalog/import: HTTP 422"):
        run("topi_sync_catalog", "--batch-size", "4")

    assert batch_sizes(mocked) == [4, 2, 1, 1, 2, 1, 1]


def test_topi_down_stops_the_sync_and_says_how_far_it_got(mocked, catalog):
    catalog(numbered(30))
    answers = iter([topi_importing(), lambda request: (503, {}, '{"message": "down"}')])
    mocked.add_callback(responses.POST, IMPORT_URL, callback=lambda r: next(answers)(r))
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"HTTP 503.*Products sent before this stay imported"):
        run("topi_sync_catalog", "--batch-size", "10", stdout=out)

    assert "Sent 10 products in 2 calls: imported 10, rejected 0" in out.getvalue()


def test_invalid_products_are_rejected_here_with_the_reason(mocked, catalog):
    catalog([laptop(), laptop(title="Cheap", references=["cheap 1"], price_gross=9.99)])
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing())

    out = run("topi_sync_catalog")

    assert batch_sizes(mocked) == [1]
    assert "Read 2 products: 1 valid, 1 invalid." in out
    assert "imported 1, rejected 1 (1 invalid here, 0 by topi)" in out
    assert "Rejected products (1):" in out
    assert "  - shop:cheap 1 (Cheap): the reference 'cheap 1' may only contain" in out
    assert "price: amount must be a Decimal, not a float" in out
    assert out.rstrip().endswith("Done, with rejections.")


def test_topis_own_rejection_counts_and_samples_are_shown(mocked, catalog):
    catalog(numbered(3))
    mocked.post(IMPORT_URL, json={
        "id": JOB_ID, "status": "completed",
        "summary": {"total_products": 3, "total_products_imported": 2, "total_products_rejected": 1,
                    "sample_products_rejected": [
                        {"error_code": "unsupported_product",
                         "error_description": "the product type is not supported",
                         "seller_product_reference": {"source": "shop", "reference": "sku-2"}}]},
    })  # fmt: skip

    out = run("topi_sync_catalog")

    assert "imported 2, rejected 1 (0 invalid here, 1 by topi)" in out
    assert "  - shop:sku-2 (Laptop 2): the product type is not supported" in out


def test_products_topi_drops_without_naming_them_are_counted(mocked, catalog):
    catalog(numbered(3))
    mocked.post(IMPORT_URL, json={"id": JOB_ID, "status": "completed", "summary": {
        "total_products": 3, "total_products_imported": 1, "total_products_rejected": 0,
        "sample_products_rejected": []}})  # fmt: skip

    out = run("topi_sync_catalog")

    assert "imported 1, rejected 2 (0 invalid here, 2 by topi)" in out
    assert "  - batch from shop:sku-0 (2 of 3): topi imported the others without naming" in out


def test_a_batch_topi_reports_as_failed_is_rejected(mocked, catalog):
    catalog(numbered(3))
    mocked.post(IMPORT_URL, json={"id": JOB_ID, "status": "failed"})

    out = run("topi_sync_catalog")

    assert "imported 0, rejected 3 (0 invalid here, 3 by topi)" in out
    assert "  - batch from shop:sku-0 (3 of 3): topi reported the import as failed" in out


def test_an_import_topi_is_still_working_on_is_reported(mocked, catalog):
    catalog(numbered(3))
    mocked.post(IMPORT_URL, json={"id": JOB_ID, "status": "started"})

    out = run("topi_sync_catalog")

    assert "imported 0, rejected 0" in out
    assert "topi is still importing 3 of them" in out


def test_dry_run_validates_and_counts_without_calling_topi(mocked, catalog):
    catalog([*numbered(3), laptop(title="")])

    out = run("topi_sync_catalog", "--dry-run", "--batch-size", "2")

    assert len(mocked.calls) == 0
    assert "Read 4 products: 3 valid, 1 invalid." in out
    assert (
        "Dry run: would send 3 products in 2 batches of up to 2. Nothing was sent to topi." in out
    )
    assert "  - shop:pro-laptop-14 (?): no title" in out


def test_a_progress_bar_is_drawn_on_a_terminal(mocked, catalog):
    catalog(list(numbered(30)))
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing())
    terminal = Terminal()

    run("topi_sync_catalog", "--batch-size", "10", stdout=terminal)

    out = terminal.getvalue()
    assert "\rproducts  [##########--------------------]  10/30  33%" in out
    assert "\rproducts  [##############################]  30/30  100%" in out


def test_a_lazy_catalog_shows_a_count_and_logs_get_no_bar(mocked, catalog):
    catalog(numbered(30))
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing())

    terminal, log = Terminal(), io.StringIO()
    run("topi_sync_catalog", stdout=terminal)
    catalog(numbered(30))
    run("topi_sync_catalog", stdout=log)

    assert "\rproducts  30  " in terminal.getvalue()
    assert "\r" not in log.getvalue()
    assert log.getvalue().startswith("products  30  ")
    assert "/s\nRead 30 products" in log.getvalue()


def test_without_a_catalog_adapter_the_command_says_what_to_set(mocked):
    with pytest.raises(CommandError, match="TOPI\\['CATALOG_ADAPTER'\\] is not set"):
        run("topi_sync_catalog")


@pytest.mark.contract
def test_the_batches_fit_topis_spec(mocked, catalog):
    catalog([laptop(manufacturer="Lenovo", ean="0719726100000"), *numbered(2)])
    mocked.add_callback(responses.POST, IMPORT_URL, callback=topi_importing())

    run("topi_sync_catalog")

    call = import_calls(mocked)[0]
    problems = openapi_spec.request_problems(
        "catalog#importCatalog", "POST", call.request.url, call.request.body
    )
    assert problems == []


# -- the CSV import job --------------------------------------------------------------------------


def job(status: str, **fields) -> dict:
    return {"id": JOB_ID, "filename": "catalog.csv", "status": status, "object_path": UPLOAD_URL,
            "processed": 0, "succeeded": 0, "failed": 0, "created_at": "2026-11-28T10:00:00Z",
            "updated_at": "2026-11-28T10:00:05Z", **fields}  # fmt: skip


@pytest.fixture
def csv_job(mocked):
    """topi's CSV job: created, uploaded (the CSV kept in ``uploads``), then polled in order."""
    uploads: list[bytes] = []

    def upload(request):
        uploads.append(request.body)  # responses reads the streamed file for us
        return 200, {}, ""

    mocked.post(IMPORTS_URL, status=201, json={"id": JOB_ID, "upload_url": UPLOAD_URL})
    mocked.add_callback(responses.PUT, UPLOAD_URL, callback=upload)
    mocked.uploads = uploads
    return mocked


def test_csv_creates_a_job_uploads_the_file_and_polls_until_done(csv_job, catalog):
    catalog([laptop(), *numbered(2), laptop(title="")])
    csv_job.get(JOB_URL, json=job("running", processed=1, succeeded=1))
    csv_job.get(JOB_URL, json=job("ingested", processed=3, succeeded=3, categorization={
        "total": 3, "pending": 2, "supported": 1, "to_be_reviewed": 0, "unsupported": 0,
        "done": False}))  # fmt: skip
    csv_job.get(JOB_URL, json=job("completed", processed=3, succeeded=3, categorization={
        "total": 3, "pending": 0, "supported": 2, "to_be_reviewed": 1, "unsupported": 0,
        "done": True}))  # fmt: skip

    out = run("topi_sync_catalog", "--csv", "--poll-interval", "0")

    urls = [(c.request.method, c.request.url) for c in csv_job.calls[1:]]
    assert urls == [("POST", IMPORTS_URL), ("PUT", UPLOAD_URL),
                    ("GET", JOB_URL), ("GET", JOB_URL), ("GET", JOB_URL)]  # fmt: skip
    assert body(csv_job.calls[1])["filename"].startswith("django-topi-catalog-")
    assert csv_job.calls[2].request.headers["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_job.uploads[0].decode())))
    assert [row["reference"] for row in rows] == ["pro-laptop-14", "sku-0", "sku-1"]
    assert rows[0]["price_gross"] == "1546.81"
    assert "Read 4 products: wrote 3 to the CSV, left out 1 invalid." in out
    assert f"topi's import job {JOB_ID}: completed. Imported 3, rejected 0 of 3 rows" in out
    assert "Categorised by topi: 2 supported, 1 to be reviewed, 0 unsupported, 0 pending." in out
    assert out.rstrip().endswith("Done.")


@pytest.mark.contract
def test_the_csv_job_request_fits_topis_spec(csv_job, catalog):
    catalog(numbered(1))
    csv_job.get(JOB_URL, json=job("completed", processed=1, succeeded=1))

    run("topi_sync_catalog", "--csv", "--poll-interval", "0")

    call = csv_job.calls[1]
    problems = openapi_spec.request_problems(
        "catalog#createImport", "POST", call.request.url, call.request.body
    )
    assert problems == []


def test_csv_progress_shows_writing_then_topis_import(csv_job, catalog):
    catalog(list(numbered(2)))
    csv_job.get(JOB_URL, json=job("running", processed=1))
    csv_job.get(JOB_URL, json=job("completed", processed=2, succeeded=2))
    terminal = Terminal()

    run("topi_sync_catalog", "--csv", "--poll-interval", "0", stdout=terminal)

    out = terminal.getvalue()
    assert "\rproducts written to CSV  [##############################]  2/2  100%" in out
    assert "\rrows imported by topi  [###############---------------]  1/2  50%" in out
    assert "\rrows imported by topi  [##############################]  2/2  100%" in out


def test_csv_rows_topi_rejects_are_shown_from_its_errors_file(csv_job, catalog):
    catalog(numbered(2))
    errors_url = "https://storage.example.test/bucket/errors.csv?X-Signature=def"
    csv_job.get(JOB_URL, json=job("completed", processed=2, succeeded=1, failed=1,
                                  errors_url=errors_url))  # fmt: skip
    csv_job.get(errors_url, body="row,reference,error\n3,sku-1,price_net is not a number\n")

    out = run("topi_sync_catalog", "--csv", "--poll-interval", "0")

    assert "Imported 1, rejected 1 of 2 rows processed." in out
    assert f"Rejected rows are listed in {errors_url}" in out
    assert "  3,sku-1,price_net is not a number" in out


def test_a_failed_csv_job_fails_the_command_with_topis_reason(csv_job, catalog):
    catalog(numbered(2))
    csv_job.get(JOB_URL, json=job("failed", error="missing column price_net"))

    with pytest.raises(CommandError, match=r"import job .* failed: missing column price_net"):
        run("topi_sync_catalog", "--csv", "--poll-interval", "0")


def test_a_csv_job_still_running_at_the_timeout_fails_the_command(csv_job, catalog):
    catalog(numbered(2))
    csv_job.get(JOB_URL, json=job("running", processed=1))

    with pytest.raises(CommandError, match="is still running after 0 seconds; it carries on"):
        run("topi_sync_catalog", "--csv", "--poll-interval", "1", "--timeout", "0")


def test_a_poll_topi_does_not_answer_is_asked_again(csv_job, catalog, caplog):
    catalog(numbered(2))
    csv_job.get(JOB_URL, status=503)
    csv_job.get(JOB_URL, status=503)
    csv_job.get(JOB_URL, status=503)
    csv_job.get(JOB_URL, json=job("completed", processed=2, succeeded=2))

    out = run("topi_sync_catalog", "--csv", "--poll-interval", "0")

    assert f"topi did not say how CSV import {JOB_ID} is going" in caplog.text
    assert f"topi's import job {JOB_ID}: completed. Imported 2" in out


def test_a_csv_job_still_categorising_at_the_timeout_is_a_success(csv_job, catalog):
    catalog(numbered(2))
    csv_job.get(JOB_URL, json=job("ingested", processed=2, succeeded=2))

    out = run("topi_sync_catalog", "--csv", "--poll-interval", "1", "--timeout", "0")

    assert "Every row is in; topi is still categorising the products." in out


def test_csv_job_limit_reached_fails_the_command(mocked, catalog):
    catalog(numbered(1))
    mocked.post(IMPORTS_URL, status=429, json={"name": "TooManyRequests", "message": "5 running"})

    with pytest.raises(CommandError, match=r"The CSV import did not go through: .*HTTP 429"):
        run("topi_sync_catalog", "--csv")


def test_csv_dry_run_only_counts(mocked, catalog):
    catalog(numbered(3))

    out = run("topi_sync_catalog", "--csv", "--dry-run")

    assert len(mocked.calls) == 0
    assert "Dry run: would write 3 products to topi's CSV import. Nothing was sent to topi." in out


# -- topi_check_products -------------------------------------------------------------------------


def supported(reference: str, *, is_supported: bool = True, months: int = 36) -> dict:
    return {"id": JOB_ID, "is_supported": is_supported,
            "seller_product_reference": {"source": "shop", "reference": reference},
            "available_contract_terms": {"can_rent": is_supported, "can_pay_now": False,
                                         "rent": {"duration": months}}}  # fmt: skip


def test_check_products_lists_what_topi_says_about_each(mocked, catalog):
    catalog(numbered(3))
    mocked.post(CHECK_URL, json={"products": [supported("sku-0"),
                                              supported("sku-1", is_supported=False)]})  # fmt: skip

    out = run("topi_check_products")

    lines = out.splitlines()
    assert lines[0].split() == ["REFERENCE", "TOPI", "TERMS", "TITLE"]
    assert lines[1].split() == ["shop:sku-0", "supported", "rent", "36", "months", "Laptop", "0"]
    assert lines[2].split() == ["shop:sku-1", "not", "supported", "-", "Laptop", "1"]
    assert lines[3].split() == ["shop:sku-2", "not", "in", "topi", "-", "Laptop", "2"]
    assert lines[4] == (
        "3 products: 1 supported, 1 not supported, 1 not in topi's catalog (run topi_sync_catalog)."
    )
    assert body(api_calls(mocked)[0]) == {"seller_product_references": [
        {"source": "shop", "reference": f"sku-{n}"} for n in range(3)]}  # fmt: skip


def test_check_products_asks_in_batches(mocked, catalog):
    catalog(numbered(5))
    mocked.post(CHECK_URL, json={"products": []})

    run("topi_check_products", "--batch-size", "2")

    assert [len(body(c)["seller_product_references"]) for c in api_calls(mocked)] == [2, 2, 1]


def test_check_products_can_show_only_the_unsupported(mocked, catalog):
    catalog(numbered(2))
    mocked.post(CHECK_URL, json={"products": [supported("sku-0"),
                                              supported("sku-1", is_supported=False)]})  # fmt: skip

    out = run("topi_check_products", "--unsupported")

    assert "shop:sku-0" not in out
    assert "shop:sku-1" in out
    assert "2 products: 1 supported, 1 not supported." in out


def test_check_products_can_show_rental_prices(mocked, catalog):
    catalog(numbered(2))
    mocked.post(CHECK_URL, json={"products": [supported("sku-0"), supported("sku-1")]})
    mocked.add_callback(
        responses.POST, PRICES_URL, callback=prices_callback(unsupported=frozenset({"sku-1"}))
    )

    out = run("topi_check_products", "--prices")

    assert out.splitlines()[0].split() == ["REFERENCE", "TOPI", "TERMS", "FROM", "TITLE"]
    assert "Rent with topi from €23.45/month" in out.splitlines()[1]
    assert out.splitlines()[2].split()[-3:] == ["-", "Laptop", "1"]


def test_check_products_flags_invalid_references_without_asking_topi(mocked, catalog):
    catalog([laptop(references=["bad ref"], price_gross=Decimal("1.00"))])

    out = run("topi_check_products")

    assert api_calls(mocked) == []
    assert "invalid" in out.splitlines()[1]
    assert "the reference 'bad ref' may only contain" in out
    assert "1 products: 0 supported, 0 not supported, 1 with an invalid reference." in out


def test_check_products_when_topi_is_down_fails_the_command(mocked, catalog):
    catalog(numbered(1))
    mocked.post(CHECK_URL, status=503)

    with pytest.raises(CommandError, match=r"topi could not be asked: .*HTTP 503"):
        run("topi_check_products")


@pytest.mark.contract
def test_check_products_request_fits_topis_spec(mocked, catalog):
    catalog(numbered(2))
    mocked.post(CHECK_URL, json={"products": []})

    run("topi_check_products")

    call = api_calls(mocked)[0]
    problems = openapi_spec.request_problems(
        "catalog#checkSupported", "POST", call.request.url, call.request.body
    )
    assert problems == []
