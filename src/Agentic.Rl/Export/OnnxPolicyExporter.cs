using Agentic.Core.Inference;
using Agentic.Rl.Modeling;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static Agentic.Rl.Export.OnnxGraphBuilder;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Agentic.Rl.Export;

/// <summary>
/// Writes a <see cref="MoeCausalLM"/> as an ONNX graph (opset 17, float32 weights as initializers) built directly
/// from its state dict with the ONNX protobuf classes: TorchSharp has no exporter.
/// </summary>
/// <remarks>
/// <para>
/// Graph inputs: <c>input_ids</c> [batch, seq] int64, <c>attention_mask</c> [batch, past+seq] int64 (1 = real token,
/// 0 = left padding, covering cached and new positions), <c>position_ids</c> [batch, seq] int64 and, per layer i,
/// <c>past_key_values.{i}.key</c> / <c>.value</c> [batch, kv_heads, past, head_dim] float32 (past may be 0). A model
/// with <see cref="MoeTransformerConfig.PreviousTokenEmbedding"/> also takes <c>previous_ids</c> [batch, seq] int64:
/// the token before each new position, or vocab_size where there is none (first position, or padding before it);
/// with a <see cref="MoeTransformerConfig.PreviousTokenWindow"/> of W above 1, also <c>previous_ids_2</c> ...
/// <c>previous_ids_W</c>, the token that many positions before, in the same form.
/// Outputs: <c>logits</c> [batch, seq, vocab] and <c>present.{i}.key</c> / <c>.value</c> (past concatenated with the
/// new positions), to feed back as the next step's past. The attention mask follows <see cref="MoeCausalLM.forward"/>
/// exactly: query i attends key j when j is real and j &lt;= i, and always itself, so no row is empty.
/// </para>
/// <para>
/// The Mixture-of-Experts block is exported <b>densely</b>: the router softmax, TopK on scores plus router bias, the
/// top-k weights gathered from the scores (renormalised and scaled as configured) and scattered
/// (<c>ScatterElements</c>) into a [batch, seq, N+Z] routing matrix that is zero for unselected experts. All N routed
/// SwiGLU experts then run as three fused matmuls over every token, each expert's hidden activations scaled by its
/// routing weight before the fused down projection; zero-computation experts add their weight times the input; the
/// shared expert is added. An unselected expert contributes exactly zero, so the result is the sparse computation up
/// to float summation order, at N/k times the routed-expert FLOPs: the right trade for the small policies this project
/// trains (no data-dependent shapes, a handful of large matmuls), the wrong one for models with many experts.
/// </para>
/// <para>
/// The model config, the layer/cache shapes and optionally the tokenizer are stored in <c>metadata_props</c> under
/// the keys of <see cref="OnnxPolicyMetadata"/>; <c>config.json</c> and <c>tokenizer.json</c> can also be written
/// next to the model. The file is written to a temporary sibling and renamed into place, so a crash never leaves a
/// truncated model. Protobuf limits a single model file to 2 GiB; larger models are rejected.
/// </para>
/// </remarks>
public static class OnnxPolicyExporter
{
    /// <summary>The ONNX opset (default domain) the graph targets.</summary>
    public const int OpsetVersion = 17;

    private const long MaxProtobufBytes = int.MaxValue;

    /// <summary>Exports <paramref name="model"/> to <paramref name="path"/> (a <c>.onnx</c> file), atomically.</summary>
    /// <param name="model">The policy; its current weights are exported (training mode is irrelevant).</param>
    /// <param name="path">Destination file; its folder is created when missing.</param>
    /// <param name="options">Tokenizer, sidecar files and extra metadata.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="path"/> is null or empty, or <see cref="OnnxExportOptions.Metadata"/> uses a reserved
    /// <c>agentic.*</c> key.
    /// </exception>
    /// <exception cref="NotSupportedException">The weights exceed the 2 GiB protobuf limit.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Export(MoeCausalLM model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxExportOptions();
        path = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);

        var proto = BuildModelWithinLimit(model, options);

        WriteAtomically(path, stream => proto.WriteTo(stream));
        if (options.WriteSidecarFiles)
        {
            WriteAtomically(Path.Combine(folder, "config.json"), s => Write(s, model.Config.ToJson()));
            if (options.Tokenizer is { } tokenizer) WriteAtomically(Path.Combine(folder, "tokenizer.json"), s => Write(s, tokenizer.ToJson()));
        }
    }

    /// <summary>
    /// Exports <paramref name="model"/>'s current weights and opens an ONNX Runtime session over them, for decoding in
    /// the same process (rollouts, evaluation): the export goes to a private temporary file that is deleted once the
    /// session has loaded it, so nothing is left on disk.
    /// </summary>
    /// <param name="model">The policy; its current weights are exported (training mode is irrelevant).</param>
    /// <param name="configure">
    /// Adjusts the session's options (pad token, threads, execution provider); <see cref="OnnxPolicyOptions.ModelPath"/>
    /// is set to the temporary export.
    /// </param>
    /// <param name="export">Tokenizer and metadata of the export (sidecar files are never written).</param>
    /// <returns>The session; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="NotSupportedException">The weights exceed the 2 GiB protobuf limit.</exception>
    public static OnnxPolicySession OpenSession(MoeCausalLM model, Action<OnnxPolicyOptions>? configure = null, OnnxExportOptions? export = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = BuildModelWithinLimit(model, export ?? new OnnxExportOptions());
        var folder = Directory.CreateTempSubdirectory("agentic-onnx-").FullName;
        try
        {
            var path = Path.Combine(folder, OnnxPolicySession.DefaultModelFileName);
            using (var stream = File.Create(path)) proto.WriteTo(stream);
            var options = new OnnxPolicyOptions { ModelPath = path };
            configure?.Invoke(options);
            return new OnnxPolicySession(options);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A temporary file left behind is harmless.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>The model's graph, refused when it exceeds the protobuf limit of one file.</summary>
    private static ModelProto BuildModelWithinLimit(MoeCausalLM model, OnnxExportOptions options)
    {
        var proto = BuildModel(model, options);
        if (proto.CalculateSize() >= MaxProtobufBytes)
        {
            throw new NotSupportedException("The model exceeds the 2 GiB protobuf limit of a single ONNX file; external-data export is not implemented.");
        }
        return proto;
    }

    private static void Write(Stream stream, string text)
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var tmp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    internal static ModelProto BuildModel(MoeCausalLM model, OnnxExportOptions options)
    {
        var config = model.Config;
        Dictionary<string, float[]> weights;
        Dictionary<string, long[]> shapes;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            weights = [];
            shapes = [];
            foreach (var (name, tensor) in model.state_dict())
            {
                using var cpu = tensor.detach().cpu().to(float32).contiguous();
                weights[name] = cpu.data<float>().ToArray();
                shapes[name] = cpu.shape;
            }
        }

        var g = new OnnxGraphBuilder("agentic_moe_causal_lm");
        new GraphWriter(g, config, weights, shapes).Write();

        var proto = new ModelProto
        {
            IrVersion = 8, // ONNX 1.12+, the IR that goes with opset 17
            ProducerName = "Agentic.Rl",
            ProducerVersion = typeof(OnnxPolicyExporter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = g.Graph,
            DocString = "Agentic MoE causal LM with KV cache (dense MoE export; see OnnxPolicyExporter).",
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        void Meta(string key, string value) => proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Meta(OnnxPolicyMetadata.Format, OnnxPolicyMetadata.FormatValue);
        Meta(OnnxPolicyMetadata.NumLayers, config.NumHiddenLayers.ToString(inv));
        Meta(OnnxPolicyMetadata.NumKeyValueHeads, config.NumKeyValueHeads.ToString(inv));
        Meta(OnnxPolicyMetadata.HeadDim, config.HeadDim.ToString(inv));
        Meta(OnnxPolicyMetadata.VocabSize, config.VocabSize.ToString(inv));
        Meta(OnnxPolicyMetadata.MaxPositions, config.MaxPositionEmbeddings.ToString(inv));
        Meta(OnnxPolicyMetadata.ConfigJson, config.ToJson());
        if (options.Tokenizer is { } tokenizer) Meta(OnnxPolicyMetadata.TokenizerJson, tokenizer.ToJson());
        if (options.Metadata is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                if (key.StartsWith("agentic.", StringComparison.Ordinal)) throw new ArgumentException($"Metadata key '{key}' is reserved.", nameof(options));
                Meta(key, value);
            }
        }
        return proto;
    }

    /// <summary>Emits the nodes of one model into a builder.</summary>
    private sealed class GraphWriter(OnnxGraphBuilder g, MoeTransformerConfig config, Dictionary<string, float[]> weights, Dictionary<string, long[]> shapes)
    {
        private string _zeroF = "";
        private string _negInf = "";

        /// <summary>The state dict's tensor <paramref name="name"/> as an initializer, in its own shape or in <paramref name="shape"/>.</summary>
        private string Weight(string name, long[]? shape = null)
        {
            if (!weights.TryGetValue(name, out var data)) throw new InvalidOperationException($"State dict lacks '{name}'.");
            return g.Floats(name, data, shape ?? shapes[name]);
        }

        /// <summary>
        /// Softmax over the last axis of <paramref name="scores"/> [B, H, T, S] with the head's sink logit as one more
        /// column, which is dropped after the softmax (see <see cref="MoeTransformerConfig.AttentionSinks"/>).
        /// </summary>
        private string SoftmaxWithSink(string scores, string sinkName, int heads, string hint)
        {
            var sink = Weight(sinkName, [1, heads, 1, 1]);
            var rows = g.Node("Slice", [g.Node("Shape", [scores], hint), g.Int64s($"{hint}.sink_start", [0], 1), g.Int64s($"{hint}.sink_rows", [3], 1), g.Int64s($"{hint}.sink_axis", [0], 1)], hint); // [B, H, T]
            var column = g.Node("Expand", [sink, g.Node("Concat", [rows, g.Int64s($"{hint}.sink_one", [1], 1)], hint, Int("axis", 0))], hint); // [B, H, T, 1]
            var probs = g.Node("Softmax", [g.Node("Concat", [scores, column], hint, Int("axis", -1))], hint, Int("axis", -1));
            return g.Node("Slice", [probs, g.Int64s($"{hint}.sink_first", [0], 1), g.Int64s($"{hint}.sink_last", [-1], 1), g.Int64s($"{hint}.sink_last_axis", [-1], 1)], hint);
        }

        /// <summary>A Linear weight [out, in] stored transposed as [in, out] so the graph multiplies with MatMul.</summary>
        private string Transposed(string name) => TransposedConcat(name + ".T", [name]);

        /// <summary>Linear weights [out_i, in] transposed and concatenated along the output axis: [in, sum(out_i)].</summary>
        private string TransposedConcat(string initializer, string[] names)
        {
            long inDim = shapes[names[0]][1];
            long outTotal = names.Sum(n => shapes[n][0]);
            var result = new float[inDim * outTotal];
            long offset = 0;
            foreach (var n in names)
            {
                var w = weights[n];
                long outDim = shapes[n][0];
                if (shapes[n][1] != inDim) throw new InvalidOperationException($"'{n}' has input width {shapes[n][1]}, expected {inDim}.");
                for (long o = 0; o < outDim; o++)
                    for (long i = 0; i < inDim; i++)
                        result[i * outTotal + offset + o] = w[o * inDim + i];
                offset += outDim;
            }
            return g.Floats(initializer, result, inDim, outTotal);
        }

        /// <summary>Linear weights [out, in_i] transposed and stacked along the input axis: [sum(in_i), out].</summary>
        private string TransposedStack(string initializer, string[] names)
        {
            long outDim = shapes[names[0]][0];
            var rows = new List<float>();
            long inTotal = 0;
            foreach (var n in names)
            {
                var w = weights[n];
                long inDim = shapes[n][1];
                for (long i = 0; i < inDim; i++)
                    for (long o = 0; o < outDim; o++)
                        rows.Add(w[o * inDim + i]);
                inTotal += inDim;
            }
            return g.Floats(initializer, rows.ToArray(), inTotal, outDim);
        }

        private string Axes(string name, params long[] axes) => g.Int64s(name, axes, axes.Length);

        public void Write()
        {
            int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, headDim = config.HeadDim;
            g.Input("input_ids", DataType.Int64, "batch", "sequence");
            g.Input("attention_mask", DataType.Int64, "batch", "total_sequence");
            g.Input("position_ids", DataType.Int64, "batch", "sequence");
            if (config.PreviousTokenEmbedding)
            {
                g.Input("previous_ids", DataType.Int64, "batch", "sequence");
                for (int d = 2; d <= config.PreviousTokenWindow; d++) g.Input(FormattableString.Invariant($"previous_ids_{d}"), DataType.Int64, "batch", "sequence");
            }
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                g.Input($"past_key_values.{i}.key", DataType.Float, "batch", kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "past_sequence", headDim.ToString(System.Globalization.CultureInfo.InvariantCulture));
                g.Input($"past_key_values.{i}.value", DataType.Float, "batch", kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "past_sequence", headDim.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            // Shared constants.
            _zeroF = g.Scalar("const.zero_f", 0f);
            _negInf = g.Scalar("const.neg_inf", float.NegativeInfinity);
            Axes("const.axes_0", 0);
            Axes("const.axes_1", 1);
            Axes("const.axes_m1", -1);
            g.ScalarInt64("const.one_i", 1);
            g.Int64s("const.idx_2", [2], 1);
            g.Int64s("const.idx_1", [1], 1);

            WriteRotaryTables(headDim);
            g.Int64s("const.rope_start", [0], 1);
            g.Int64s("const.rope_mid", [headDim / 2], 1);
            g.Int64s("const.rope_end", [headDim], 1);
            g.Int64s("const.rope_axis", [3], 1);

            // Additive attention mask [B, 1, T, S] (see MoeCausalLM.forward).
            var past = g.Node("Gather", [g.Node("Shape", ["past_key_values.0.key"], "mask"), "const.idx_2"], "mask", Int("axis", 0));
            var seq = g.Node("Gather", [g.Node("Shape", ["input_ids"], "mask"), "const.idx_1"], "mask", Int("axis", 0));
            var total = g.Node("Gather", [g.Node("Shape", ["attention_mask"], "mask"), "const.idx_1"], "mask", Int("axis", 0));
            var pastScalar = g.Node("Squeeze", [past, "const.axes_0"], "mask");
            var totalScalar = g.Node("Squeeze", [total, "const.axes_0"], "mask");
            var end = g.Node("Add", [pastScalar, g.Node("Squeeze", [seq, "const.axes_0"], "mask")], "mask");
            var queryPos = g.Node("Unsqueeze", [g.Node("Range", [pastScalar, end, "const.one_i"], "mask"), "const.axes_1"], "mask"); // [T, 1]
            var keyPos = g.Node("Unsqueeze", [g.Node("Range", [g.ScalarInt64("const.zero_i", 0), totalScalar, "const.one_i"], "mask"), "const.axes_0"], "mask"); // [1, S]
            var causal = g.Node("Unsqueeze", [g.Node("LessOrEqual", [keyPos, queryPos], "mask"), "const.axes_0"], "mask"); // [1, T, S]
            var diagonal = g.Node("Unsqueeze", [g.Node("Equal", [keyPos, queryPos], "mask"), "const.axes_0"], "mask");
            var valid = g.Node("Unsqueeze", [g.Node("Cast", ["attention_mask"], "mask", Int("to", (long)DataType.Bool)), "const.axes_1"], "mask"); // [B, 1, S]
            var allowed = g.Node("Or", [g.Node("And", [causal, valid], "mask"), diagonal], "mask"); // [B, T, S]
            var additive = g.Node("Unsqueeze", [g.Node("Where", [allowed, _zeroF, _negInf], "mask"), "const.axes_1"], "mask"); // [B, 1, T, S]

            // Rotary tables for the given positions: [B, 1, T, D].
            var cos = g.Node("Unsqueeze", [g.Node("Gather", ["rope.cos", "position_ids"], "rope", Int("axis", 0)), "const.axes_1"], "rope");
            var sin = g.Node("Unsqueeze", [g.Node("Gather", ["rope.sin", "position_ids"], "rope", Int("axis", 0)), "const.axes_1"], "rope");

            var h = g.Node("Gather", [Weight("embed_tokens.weight"), "input_ids"], "embed", Int("axis", 0));
            if (config.PreviousTokenEmbedding)
            {
                h = g.Node("Add", [h, g.Node("Gather", [Weight("embed_previous.weight"), "previous_ids"], "embed", Int("axis", 0))], "embed");
                for (int d = 2; d <= config.PreviousTokenWindow; d++)
                {
                    var table = Weight(FormattableString.Invariant($"embed_earlier.{d - 2}.weight"));
                    h = g.Node("Add", [h, g.Node("Gather", [table, FormattableString.Invariant($"previous_ids_{d}")], "embed", Int("axis", 0))], "embed");
                }
            }
            var qShape = g.Int64s("const.q_shape", [0, 0, heads, headDim], 4);
            var kvShape = g.Int64s("const.kv_shape", [0, 0, kvHeads, headDim], 4);
            var mergeShape = g.Int64s("const.merge_shape", [0, 0, heads * headDim], 3);
            if (kvHeads != heads)
            {
                Axes("const.axes_2", 2);
                g.Int64s("const.expand_shape", [0, heads, -1, headDim], 4);
                g.Int64s("const.gqa_repeats", [1, 1, heads / kvHeads, 1, 1], 5);
            }
            var scale = g.Scalar("const.attn_scale", (float)(1.0 / Math.Sqrt(headDim)));
            for (int layer = 0; layer < config.NumHiddenLayers; layer++)
            {
                var p = $"layers.{layer}";
                var x = RmsNorm(h, $"{p}.input_layernorm.weight", p);
                var q = g.Node("Transpose", [g.Node("Reshape", [g.Node("MatMul", [x, Transposed($"{p}.self_attn.q_proj.weight")], p), qShape], p)], p, Ints("perm", 0, 2, 1, 3));
                var k = g.Node("Transpose", [g.Node("Reshape", [g.Node("MatMul", [x, Transposed($"{p}.self_attn.k_proj.weight")], p), kvShape], p)], p, Ints("perm", 0, 2, 1, 3));
                var v = g.Node("Transpose", [g.Node("Reshape", [g.Node("MatMul", [x, Transposed($"{p}.self_attn.v_proj.weight")], p), kvShape], p)], p, Ints("perm", 0, 2, 1, 3));
                q = Rope(q, cos, sin, p);
                k = Rope(k, cos, sin, p);
                g.AddNode("Concat", [$"past_key_values.{layer}.key", k], [$"present.{layer}.key"], p, Int("axis", 2));
                g.AddNode("Concat", [$"past_key_values.{layer}.value", v], [$"present.{layer}.value"], p, Int("axis", 2));
                k = $"present.{layer}.key";
                v = $"present.{layer}.value";
                if (kvHeads != heads)
                {
                    // repeat_interleave over heads: [B, KV, S, D] -> [B, KV, rep, S, D] -> [B, H, S, D].
                    k = g.Node("Reshape", [g.Node("Tile", [g.Node("Unsqueeze", [k, "const.axes_2"], p), "const.gqa_repeats"], p), "const.expand_shape"], p);
                    v = g.Node("Reshape", [g.Node("Tile", [g.Node("Unsqueeze", [v, "const.axes_2"], p), "const.gqa_repeats"], p), "const.expand_shape"], p);
                }
                var scores = g.Node("MatMul", [q, g.Node("Transpose", [k], p, Ints("perm", 0, 1, 3, 2))], p);
                scores = g.Node("Add", [g.Node("Mul", [scores, scale], p), additive], p);
                var probs = config.AttentionSinks ? SoftmaxWithSink(scores, $"{p}.self_attn.sinks", heads, p) : g.Node("Softmax", [scores], p, Int("axis", -1));
                var attn = g.Node("MatMul", [probs, v], p);
                attn = g.Node("Reshape", [g.Node("Transpose", [attn], p, Ints("perm", 0, 2, 1, 3)), mergeShape], p);
                h = g.Node("Add", [h, g.Node("MatMul", [attn, Transposed($"{p}.self_attn.o_proj.weight")], p)], p);

                var y = RmsNorm(h, $"{p}.post_attention_layernorm.weight", p);
                h = g.Node("Add", [h, Moe(y, p)], p);
            }
            var final = RmsNorm(h, "norm.weight", "final");
            g.AddNode("MatMul", [final, Transposed("lm_head.weight")], ["logits"], "lm_head");

            g.Output("logits", DataType.Float, "batch", "sequence", config.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                g.Output($"present.{i}.key", DataType.Float, "batch", kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "total_sequence", headDim.ToString(System.Globalization.CultureInfo.InvariantCulture));
                g.Output($"present.{i}.value", DataType.Float, "batch", kvHeads.ToString(System.Globalization.CultureInfo.InvariantCulture), "total_sequence", headDim.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        private void WriteRotaryTables(int headDim)
        {
            // Same arithmetic as RotaryEmbedding: float64 angles, cast to float32.
            int max = config.MaxPositionEmbeddings;
            var cos = new float[max * headDim];
            var sin = new float[max * headDim];
            using (var scope = NewDisposeScope())
            {
                var invFreq = 1.0 / pow(config.RopeTheta, arange(0, headDim, 2, dtype: float64) / headDim);
                var freqs = outer(arange(max, dtype: float64), invFreq);
                var emb = cat([freqs, freqs], -1);
                emb.cos().to(float32).contiguous().data<float>().CopyTo(cos, 0);
                emb.sin().to(float32).contiguous().data<float>().CopyTo(sin, 0);
            }
            g.Floats("rope.cos", cos, max, headDim);
            g.Floats("rope.sin", sin, max, headDim);
        }

        private string RmsNorm(string x, string weight, string hint)
        {
            var variance = g.Node("ReduceMean", [g.Node("Mul", [x, x], hint)], hint, Ints("axes", -1), Int("keepdims", 1));
            var eps = g.Scalar($"{weight}.eps", config.RmsNormEps);
            var inv = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [variance, eps], hint)], hint)], hint);
            return g.Node("Mul", [g.Node("Mul", [x, inv], hint), Weight(weight)], hint);
        }

        private string Rope(string x, string cos, string sin, string hint)
        {
            const string halfStart = "const.rope_start", halfMid = "const.rope_mid", halfEnd = "const.rope_end", axis = "const.rope_axis";
            var x1 = g.Node("Slice", [x, halfStart, halfMid, axis], hint);
            var x2 = g.Node("Slice", [x, halfMid, halfEnd, axis], hint);
            var rotated = g.Node("Concat", [g.Node("Neg", [x2], hint), x1], hint, Int("axis", 3));
            return g.Node("Add", [g.Node("Mul", [x, cos], hint), g.Node("Mul", [rotated, sin], hint)], hint);
        }

        private string SwiGlu(string x, string gate, string up, string down, string hint)
        {
            var gx = g.Node("MatMul", [x, gate], hint);
            var act = g.Node("Mul", [g.Node("Mul", [gx, g.Node("Sigmoid", [gx], hint)], hint), g.Node("MatMul", [x, up], hint)], hint);
            return g.Node("MatMul", [act, down], hint);
        }

        private string Moe(string x, string p)
        {
            int n = config.NumExperts, z = config.NumZeroExperts, k = config.NumExpertsPerToken, inter = config.MoeIntermediateSize;
            var m = $"{p}.mlp";
            var scores = g.Node("Softmax", [g.Node("MatMul", [x, Transposed($"{m}.router.weight")], m)], m, Int("axis", -1)); // [B, T, E]
            var biased = g.Node("Add", [scores, Weight($"{m}.router_bias")], m);
            var top = g.NodeMulti("TopK", [biased, g.Int64s($"{m}.top_k", [k], 1)], 2, m, Int("axis", -1), Int("largest", 1), Int("sorted", 1));
            var topW = g.Node("GatherElements", [scores, top[1]], m, Int("axis", -1));
            if (config.NormTopKProb)
            {
                topW = g.Node("Div", [topW, g.Node("ReduceSum", [topW, "const.axes_m1"], m, Int("keepdims", 1))], m);
            }
            if (config.RoutedScalingFactor != 1f)
            {
                topW = g.Node("Mul", [topW, g.Scalar($"{m}.routed_scaling_factor", config.RoutedScalingFactor)], m);
            }
            // Dense routing matrix [B, T, N + Z]: the top-k weights at their experts, zero elsewhere.
            var zeros = g.Node("ConstantOfShape", [g.Node("Shape", [scores], m)], m,
                Tensor("value", new TensorProto { DataType = (int)DataType.Float, Dims = { 1 }, FloatData = { 0f } }));
            var routing = g.Node("ScatterElements", [zeros, top[1], topW], m, Int("axis", -1));

            var axisLast = g.Int64s($"{m}.slice_axis", [-1], 1);
            var routedWeights = g.Node("Slice", [routing, g.Int64s($"{m}.slice_0", [0], 1), g.Int64s($"{m}.slice_n", [n], 1), axisLast], m); // [B, T, N]
            var expertNames = Enumerable.Range(0, n).Select(e => $"{m}.experts.{e}").ToArray();
            var gateAll = TransposedConcat($"{m}.experts.gate_proj.T", expertNames.Select(e => $"{e}.gate_proj.weight").ToArray()); // [H, N*I]
            var upAll = TransposedConcat($"{m}.experts.up_proj.T", expertNames.Select(e => $"{e}.up_proj.weight").ToArray());
            var downAll = TransposedStack($"{m}.experts.down_proj.T", expertNames.Select(e => $"{e}.down_proj.weight").ToArray()); // [N*I, H]
            var gx = g.Node("MatMul", [x, gateAll], m);
            var act = g.Node("Mul", [g.Node("Mul", [gx, g.Node("Sigmoid", [gx], m)], m), g.Node("MatMul", [x, upAll], m)], m); // [B, T, N*I]
            var perExpert = g.Node("Reshape", [act, g.Int64s($"{m}.split_shape", [0, 0, n, inter], 4)], m);
            var weighted = g.Node("Mul", [perExpert, g.Node("Unsqueeze", [routedWeights, "const.axes_m1"], m)], m);
            var output = g.Node("MatMul", [g.Node("Reshape", [weighted, g.Int64s($"{m}.merge_shape", [0, 0, n * inter], 3)], m), downAll], m);

            if (z > 0)
            {
                var zeroWeights = g.Node("Slice", [routing, g.Int64s($"{m}.slice_n2", [n], 1), g.Int64s($"{m}.slice_e", [n + z], 1), axisLast], m);
                var zeroWeight = g.Node("ReduceSum", [zeroWeights, "const.axes_m1"], m, Int("keepdims", 1)); // [B, T, 1]
                output = g.Node("Add", [output, g.Node("Mul", [x, zeroWeight], m)], m);
            }
            if (config.NumSharedExperts > 0)
            {
                var s = $"{m}.shared_expert";
                var shared = SwiGlu(x, Transposed($"{s}.gate_proj.weight"), Transposed($"{s}.up_proj.weight"), Transposed($"{s}.down_proj.weight"), s);
                output = g.Node("Add", [output, shared], m);
            }
            return output;
        }
    }
}
