from tests.utils.factories import auth, checkout, create_buyer, create_merchant


async def test_checkout_issues_an_open_invoice(api, mail) -> None:
    key = await create_merchant(api)
    buyer = await create_buyer(api, key)
    response = await checkout(api, key, buyer["id"])
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["status"] == "open"
    assert invoice["total"] == "119.00"
    got = await api.get(f"/v1/invoices/{invoice['id']}", headers=auth(key))
    assert got.status_code == 200
    print(got.json())
