"""The parties as e-invoices (EN 16931) state them: postal and electronic addresses, and the
merchant's company (the seller). These only bound request sizes; the rules are
payinvoice.domain.parties', each refusal naming its field (422 `invalid_address`, `invalid_vat_id`,
`invalid_tax_number`, `invalid_electronic_address`)."""

from pydantic import Field

from payinvoice.contracts.schemas.base import Strict, Text


class PostalAddressIO(Strict):
    line1: str = Field(min_length=1, max_length=200, examples=["Hauptstraße 1"])
    line2: str | None = Field(default=None, max_length=200)
    postcode: str = Field(min_length=1, max_length=20, examples=["10115"])
    city: str = Field(min_length=1, max_length=200, examples=["Berlin"])
    country: str = Field(min_length=2, max_length=2, examples=["DE"], description="ISO 3166-1 alpha-2.")


class ElectronicAddressIO(Strict):
    scheme: str = Field(
        min_length=1, max_length=4, examples=["EM", "9930", "0204"],
        description='An EAS code: "EM" email, "9930" German VAT number, "0204" Leitweg-ID, "0088" GLN ...',
    )  # fmt: skip
    value: str = Field(min_length=1, max_length=200, examples=["invoices@example.com"])


class ContactIO(Strict):
    name: str = Text
    phone: str = Field(min_length=1, max_length=50, examples=["+49 30 1234567"])
    email: str = Field(min_length=3, max_length=320)


class CompanyIO(Strict):
    """The seller on the merchant's e-invoices (BG-4, its contact BG-6); set whole by PUT."""

    legal_name: str = Text
    address: PostalAddressIO
    vat_id: str | None = Field(
        default=None, max_length=40, examples=["DE136695976"], description="BT-31, with its country prefix."
    )
    tax_number: str | None = Field(
        default=None, max_length=40, examples=["181/815/08155"],
        description="BT-32: a German seller's Steuernummer.",
    )  # fmt: skip
    registration: str | None = Field(
        default=None, max_length=200, examples=["HRB 12345, Amtsgericht Berlin-Charlottenburg"],
        description="BT-30: the register and number the company is registered under.",
    )  # fmt: skip
    contact: ContactIO
    electronic_address: ElectronicAddressIO | None = Field(default=None, description="BT-34.")
