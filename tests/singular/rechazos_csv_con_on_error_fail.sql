{#-
    `sources.csv.on_error: fail` (passed to dbt as the var `csv_on_error`):
    a CSV line rejected in staging (a bad value, a repeated key, a line the
    loader could not split) stops the build after the staging layer, before
    any dimension or fact is written (run_etl.py builds that layer alone first
    under `fail`: transform_steps' staging_first). With `skip` (the default) the test selects
    nothing: rejected lines are recorded in stg_csv__rechazos and the build
    goes on. One row per rejected line: file, line and reason.
-#}
{{ config(severity='error') }}

with

rechazos as (

    select * from {{ ref('stg_csv__rechazos') }}

)

select
    rechazos._source_file,
    rechazos._source_line,
    rechazos.motivo
from rechazos
where {{ 'true' if var('csv_on_error', 'skip') == 'fail' else 'false' }}
